-- Change detection of streamed sources: the keyed digest of an item's own source text (NULL when
-- the item depends on more than its text), and of the whole content last synced.
ALTER TABLE items ADD COLUMN source_text BLOB;

CREATE TABLE source_content (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    digest BLOB NOT NULL
) STRICT;
