-- Messages' search documents wait in `search_pending` inside a group commit, as cases' and
-- customers' do since 0042 (src/db/search-staging.ts): indexed by the trigger at once, each
-- reply, note or chat message of a group became an FTS5 segment of its own (FTS5 writes out what
-- it holds at every savepoint), merged later. The document always goes into `search_pending`
-- first, its place in the timeline counted once (a count of the case's entries: two statements
-- each counting cost a chat of 5,000 lines ~380 µs a message against ~175); outside a group
-- commit it moves on into the index at once (`last_insert_rowid()` is the trigger's own insert).
-- One trigger still: a second one on `case_events` would cost every other timeline entry its
-- WHEN (~9 an intake). The erasure's statements (src/privacy/sqlite.ts) take a message's
-- document that still waits out of `search_pending` instead of telling the index to forget
-- what it never held.
DROP TRIGGER IF EXISTS `search_fts_message`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_message` AFTER INSERT ON `case_events`
WHEN new.type = 'customer.replied' OR new.type = 'staff.replied' OR new.type = 'staff.noted' BEGIN
  INSERT INTO search_pending(rowid, body)
    SELECT (new.case_id << 20) + (count(*) << 1) + (new.type = 'staff.noted'), casebook_search_text(json_extract(new.data, '$.body'))
    FROM case_events WHERE case_id = new.case_id AND id <= new.id
    HAVING count(*) < 524288;
  INSERT INTO search_fts(rowid, body)
    SELECT rowid, body FROM search_pending WHERE rowid = last_insert_rowid() AND NOT casebook_search_later();
  DELETE FROM search_pending WHERE rowid = last_insert_rowid() AND NOT casebook_search_later();
END;
