-- latchkey schema. Every column a user typed into is sealed (XChaCha20-Poly1305, row identity as
-- associated data) or a blind index (HMAC). Ids, versions, timestamps, sizes and categories are plain.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE vaults (
    id                TEXT PRIMARY KEY NOT NULL,
    data_key          BLOB NOT NULL,          -- the vault's data key, wrapped by the key-encryption key
    sealed            BLOB NOT NULL,          -- {"name", "description"} sealed with the data key
    name_index        BLOB NOT NULL,          -- blind index of the case-folded name
    vault_type        TEXT NOT NULL,
    attribute_version INTEGER NOT NULL DEFAULT 1,
    content_version   INTEGER NOT NULL DEFAULT 1,
    item_count        INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    origin            TEXT NOT NULL DEFAULT 'local',
    source_revision   TEXT                    -- the source's marker for the vault's content
) STRICT;
CREATE INDEX vaults_by_name ON vaults (name_index);

CREATE TABLE items (
    vault_id       TEXT NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    category       TEXT NOT NULL,
    version        INTEGER NOT NULL,
    state          TEXT,                      -- NULL, or 'ARCHIVED'
    title_index    BLOB NOT NULL,
    summary        BLOB NOT NULL,             -- {title, favorite, tags, urls} sealed
    body           BLOB NOT NULL,             -- {sections, fields, files} sealed
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    last_edited_by TEXT NOT NULL,
    origin         TEXT NOT NULL DEFAULT 'api', -- 'api' (written through the REST API) or 'source'
    source_digest  BLOB,                      -- keyed digest of the source's copy, for idempotent sync
    source_revision TEXT,                     -- the source's revision marker (e.g. upstream version)
    PRIMARY KEY (vault_id, id)
) STRICT;
CREATE INDEX items_by_title ON items (vault_id, title_index);

CREATE TABLE item_tags (
    vault_id  TEXT NOT NULL,
    item_id   TEXT NOT NULL,
    tag_index BLOB NOT NULL,
    PRIMARY KEY (vault_id, tag_index, item_id),
    FOREIGN KEY (vault_id, item_id) REFERENCES items (vault_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX item_tags_by_item ON item_tags (vault_id, item_id);

CREATE TABLE files (
    vault_id TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    id       TEXT NOT NULL,
    size     INTEGER NOT NULL,
    content  BLOB NOT NULL,                   -- sealed bytes
    PRIMARY KEY (vault_id, item_id, id),
    FOREIGN KEY (vault_id, item_id) REFERENCES items (vault_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    name       BLOB NOT NULL,                 -- sealed with the key-encryption key
    grants     TEXT NOT NULL,                 -- JSON [{"u": vault id, "a": acl}]
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
) STRICT;

CREATE TABLE activity (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id    TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    action        TEXT NOT NULL,
    result        TEXT NOT NULL,
    jti           TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    request_ip    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    vault_id      TEXT NOT NULL,
    item_id       TEXT,
    item_version  INTEGER
) STRICT;

-- The sync worker's state, read by /health in both processes.
CREATE TABLE sync_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    source_kind  TEXT NOT NULL,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error   TEXT,
    error_at     INTEGER,
    vaults       INTEGER NOT NULL DEFAULT 0,
    items        INTEGER NOT NULL DEFAULT 0,
    runs         INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0
) STRICT;
