-- Hand-written: full-text search (src/search/, docs/ui.md "Search"). One contentless FTS5
-- table, kept in step by triggers inside the transaction of every change; the text stays in
-- the base tables (`cases`, `case_events`, `customers`) and is read back only for the results
-- shown. The rowid says what a document is, so a search reads no other table to know it:
--   case_id << 20                        a case: subject and description
--   case_id << 20 | position << 1 | note a message: `position` is its place in the case's
--                                        timeline (1-based, below 2^19); `note` is 1 for an
--                                        internal note (never shown to customers)
--   -customer_id                         a customer: name, email, organization
-- Newest case first is descending rowid order, and a case's documents are adjacent.
-- One table, so an intake that also creates its customer writes one new index segment.
-- columnsize=0: no per-document size row (nothing is ranked by bm25 here).
CREATE VIRTUAL TABLE `search_fts` USING fts5(
  subject, body, name, email, organization,
  content='', columnsize=0,
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_insert` AFTER INSERT ON `cases` BEGIN
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, new.subject, new.description);
END;
--> statement-breakpoint
-- save() writes every column: only a changed subject or description touches the index. A
-- contentless index forgets a document by being told exactly what it indexed.
CREATE TRIGGER `search_fts_case_update` AFTER UPDATE OF subject, description ON `cases`
WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body) VALUES ('delete', old.id << 20, old.subject, old.description);
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, new.subject, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_delete` AFTER DELETE ON `cases` BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body) VALUES ('delete', old.id << 20, old.subject, old.description);
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_message` AFTER INSERT ON `case_events`
WHEN new.type IN ('customer.replied', 'staff.replied', 'staff.noted') BEGIN
  INSERT INTO search_fts(rowid, body)
    SELECT (new.case_id << 20) + (count(*) << 1) + (new.type = 'staff.noted'), json_extract(new.data, '$.body')
    FROM case_events WHERE case_id = new.case_id AND id <= new.id
    HAVING count(*) < 524288;
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_insert` AFTER INSERT ON `customers` BEGIN
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, new.name, new.email, new.organization);
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_update` AFTER UPDATE OF name, email, organization ON `customers`
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.organization IS NOT new.organization BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization) VALUES ('delete', -old.id, old.name, old.email, old.organization);
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, new.name, new.email, new.organization);
END;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization) VALUES ('delete', -old.id, old.name, old.email, old.organization);
END;
--> statement-breakpoint
-- What an existing database already holds becomes searchable on upgrade.
INSERT INTO search_fts(rowid, name, email, organization) SELECT -id, name, email, organization FROM customers;
--> statement-breakpoint
INSERT INTO search_fts(rowid, subject, body) SELECT id << 20, subject, description FROM cases;
--> statement-breakpoint
INSERT INTO search_fts(rowid, body)
  SELECT (case_id << 20) + (position << 1) + (type = 'staff.noted'), json_extract(data, '$.body')
  FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS position FROM case_events)
  WHERE type IN ('customer.replied', 'staff.replied', 'staff.noted') AND position < 524288;
--> statement-breakpoint
-- One segment: later commits then merge only their own small segments (a bulk load left as
-- several large segments makes every following intake pay for merging them).
INSERT INTO search_fts(search_fts) VALUES ('optimize');
