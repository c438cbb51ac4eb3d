-- Small files kept inline (issue 7, small uploads): the content of a file
-- up to files.InlineMax bytes lives here instead of the blob store, written
-- in the same transaction as the node that refers to it (CommitFile), so
-- that an upload costs one durable commit instead of a file creation, its
-- sync, its folder's sync and a commit. file_nodes.blob_key and
-- file_versions.blob_key name such content "inline:<id>"; copies, versions
-- and the trash share a row as they share a blob, and the transaction that
-- drops the last reference deletes the row. Listings never read this table.
-- The database is backed up whole, so a restore brings the rows back.
CREATE TABLE file_inline (
    content_key  TEXT PRIMARY KEY,
    data         BLOB NOT NULL
);
