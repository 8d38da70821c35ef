-- File contents in chunks sealed separately, so that a download is served chunk by chunk instead
-- of being decrypted whole in memory (docs/design.md §4). A chunk's associated data names its
-- file, the file's size and content id, its index and whether it is the last, so chunks cannot be
-- reordered, dropped, moved or cut short without the read failing.
--
-- Rows written before this migration keep their single sealed blob in files.content with
-- content_id NULL; the store converts them into chunks when it opens the database (that needs the
-- keys, which SQL does not have). Converted and new rows keep an empty files.content.

ALTER TABLE files ADD COLUMN content_id BLOB;  -- random per stored content; NULL: not converted yet

CREATE TABLE file_chunks (
    vault_id TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    file_id  TEXT NOT NULL,
    idx      INTEGER NOT NULL,                -- 0, 1, …; every chunk but the last is 64 KiB
    content  BLOB NOT NULL,                   -- sealed bytes
    PRIMARY KEY (vault_id, item_id, file_id, idx),
    FOREIGN KEY (vault_id, item_id, file_id) REFERENCES files (vault_id, item_id, id)
        ON DELETE CASCADE
) STRICT;

-- Finds the rows still to convert without scanning the table at every start.
CREATE INDEX files_unconverted ON files (vault_id) WHERE content_id IS NULL;
