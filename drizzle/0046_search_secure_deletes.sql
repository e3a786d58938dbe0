-- FTS5's secure-delete only in the transactions that delete from the search index
-- (src/db/search-secure-delete.ts). With it on for good (0018), every COMMIT that wrote a long
-- document paid an index lookup in every segment for each of its frequent words: FTS5 tests
-- the delete flag on the first byte of a position list's size, which for a word seen 62 times
-- or more in one column is the high byte of a two-byte varint (~270 µs more a COMMIT per
-- 8 KB document). Deletes are as secure as before: each trigger below, and each statement of
-- src/privacy/sqlite.ts, turns it on before it deletes, and the group committer turns it off
-- just before COMMIT, which first writes what the transaction deleted with it on.
INSERT INTO search_fts(search_fts, rank) VALUES ('secure-delete', 0);
--> statement-breakpoint
DROP TRIGGER `search_fts_case_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_update` AFTER UPDATE OF subject, description ON `cases`
WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
  INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 1
    WHERE casebook_secure_deletes() AND NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20)
      AND NOT EXISTS (SELECT 1 FROM search_fts_config WHERE k = 'secure-delete' AND v = 1);
  INSERT INTO search_fts(search_fts, rowid, subject, body)
    SELECT 'delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20);
  DELETE FROM search_pending WHERE rowid = old.id << 20;
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
DROP TRIGGER `search_fts_case_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_delete` AFTER DELETE ON `cases` BEGIN
  INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 1
    WHERE casebook_secure_deletes() AND NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20)
      AND NOT EXISTS (SELECT 1 FROM search_fts_config WHERE k = 'secure-delete' AND v = 1);
  INSERT INTO search_fts(search_fts, rowid, subject, body)
    SELECT 'delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20);
  DELETE FROM search_pending WHERE rowid = old.id << 20;
END;
--> statement-breakpoint
DROP TRIGGER `search_fts_customer_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_update` AFTER UPDATE OF name, email, organization ON `customers`
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.organization IS NOT new.organization BEGIN
  INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 1
    WHERE casebook_secure_deletes() AND NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id)
      AND NOT EXISTS (SELECT 1 FROM search_fts_config WHERE k = 'secure-delete' AND v = 1);
  INSERT INTO search_fts(search_fts, rowid, name, email, organization)
    SELECT 'delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id);
  DELETE FROM search_pending WHERE rowid = -old.id;
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
DROP TRIGGER `search_fts_customer_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 1
    WHERE casebook_secure_deletes() AND NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id)
      AND NOT EXISTS (SELECT 1 FROM search_fts_config WHERE k = 'secure-delete' AND v = 1);
  INSERT INTO search_fts(search_fts, rowid, name, email, organization)
    SELECT 'delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id);
  DELETE FROM search_pending WHERE rowid = -old.id;
END;
