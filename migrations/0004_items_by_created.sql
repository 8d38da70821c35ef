-- Lists are read in (created_at, id) order a page at a time (keyset pagination): with these
-- indexes each page of an unfiltered or title-filtered list starts where the last one ended
-- instead of sorting the vault (or every item of that title) again.
CREATE INDEX items_by_created ON items (vault_id, created_at, id);
DROP INDEX items_by_title;
CREATE INDEX items_by_title ON items (vault_id, title_index, created_at, id);
