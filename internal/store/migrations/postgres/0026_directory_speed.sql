-- SQLite's 0026 turns the per-person tables into WITHOUT ROWID tables;
-- PostgreSQL stores every table as a heap with its primary key's index, so
-- there is nothing to change here.
SELECT 1;
