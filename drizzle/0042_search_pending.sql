-- Hand-written (src/db/search-staging.ts; docs/architecture.md "Search index", docs/performance.md
-- "Issue 11 on 2026-12-05"): while a group commit's transaction is open, a new case's or customer's search
-- document waits in `search_pending` and goes into the index in one statement just before the
-- COMMIT. FTS5 writes its pending terms out as a new segment at every savepoint, and every
-- statement of a transaction that may fail half-way opens one: indexed by the trigger, each new
-- case of a group became a segment of its own, written at the next statement and merged later.
-- `casebook_search_later()` says whether this connection is in such a transaction now; on any
-- other write the index is written at once, as before. Nothing waits here after a COMMIT.
-- The update and delete triggers take a document still waiting out of `search_pending` instead
-- of telling the index to forget what it never held.
CREATE TABLE `search_pending` (
	`rowid` integer PRIMARY KEY NOT NULL,
	`subject` text,
	`body` text,
	`name` text,
	`email` text,
	`organization` text
);
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_case_insert`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_insert` AFTER INSERT ON `cases` WHEN NOT casebook_search_later() BEGIN
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_insert_later` AFTER INSERT ON `cases` WHEN casebook_search_later() BEGIN
  INSERT INTO search_pending(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_case_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_update` AFTER UPDATE OF subject, description ON `cases`
WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body)
    SELECT 'delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20);
  DELETE FROM search_pending WHERE rowid = old.id << 20;
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_case_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_delete` AFTER DELETE ON `cases` BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body)
    SELECT 'delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = old.id << 20);
  DELETE FROM search_pending WHERE rowid = old.id << 20;
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_insert`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_insert` AFTER INSERT ON `customers` WHEN NOT casebook_search_later() BEGIN
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_insert_later` AFTER INSERT ON `customers` WHEN casebook_search_later() BEGIN
  INSERT INTO search_pending(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_update` AFTER UPDATE OF name, email, organization ON `customers`
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.organization IS NOT new.organization BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization)
    SELECT 'delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id);
  DELETE FROM search_pending WHERE rowid = -old.id;
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization)
    SELECT 'delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization)
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE rowid = -old.id);
  DELETE FROM search_pending WHERE rowid = -old.id;
END;
