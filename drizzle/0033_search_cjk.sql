-- Hand-written: the search index is given `casebook_search_text(…)` of every text instead of the
-- text itself (src/text/search-text.ts, docs/ui.md "Search"): runs of Chinese, Japanese and
-- Korean characters as their overlapping pairs (我想申请退款 → 我想 想申 申请 请退 退款, so
-- 退款 finds it), and the letters PostgreSQL's unaccent folds beyond FTS5's remove_diacritics
-- (ß → ss, æ → ae, œ → oe, ø → o, ł → l…), so both databases find the same. The function is
-- JavaScript, registered on every connection by `openDatabase` (src/db/client.ts); Latin text
-- without such letters comes back unchanged. A contentless index forgets a document by being told
-- exactly what it indexed: the delete triggers pass the old text through the same function.
DROP TRIGGER IF EXISTS `search_fts_case_insert`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_insert` AFTER INSERT ON `cases` BEGIN
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_case_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_update` AFTER UPDATE OF subject, description ON `cases`
WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body) VALUES ('delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description));
  INSERT INTO search_fts(rowid, subject, body) VALUES (new.id << 20, casebook_search_text(new.subject), casebook_search_text(new.description));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_case_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_case_delete` AFTER DELETE ON `cases` BEGIN
  INSERT INTO search_fts(search_fts, rowid, subject, body) VALUES ('delete', old.id << 20, casebook_search_text(old.subject), casebook_search_text(old.description));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_message`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_message` AFTER INSERT ON `case_events`
WHEN new.type = 'customer.replied' OR new.type = 'staff.replied' OR new.type = 'staff.noted' BEGIN
  INSERT INTO search_fts(rowid, body)
    SELECT (new.case_id << 20) + (count(*) << 1) + (new.type = 'staff.noted'), casebook_search_text(json_extract(new.data, '$.body'))
    FROM case_events WHERE case_id = new.case_id AND id <= new.id
    HAVING count(*) < 524288;
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_insert`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_insert` AFTER INSERT ON `customers` BEGIN
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_update`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_update` AFTER UPDATE OF name, email, organization ON `customers`
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.organization IS NOT new.organization BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization) VALUES ('delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization));
  INSERT INTO search_fts(rowid, name, email, organization) VALUES (-new.id, casebook_search_text(new.name), casebook_search_text(new.email), casebook_search_text(new.organization));
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_fts_customer_delete`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_customer_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, email, organization) VALUES ('delete', -old.id, casebook_search_text(old.name), casebook_search_text(old.email), casebook_search_text(old.organization));
END;
--> statement-breakpoint
-- What the index already holds: only documents whose text the function changes are indexed anew
-- (forgotten with the text as it was indexed, then added as the triggers now add them), so an
-- upgrade reads every text once but rewrites only those with CJK characters or folded letters.
INSERT INTO search_fts(search_fts, rowid, name, email, organization)
  SELECT 'delete', -id, name, email, organization FROM customers
  WHERE casebook_search_text(name) IS NOT name OR casebook_search_text(email) IS NOT email OR casebook_search_text(organization) IS NOT organization;
--> statement-breakpoint
INSERT INTO search_fts(rowid, name, email, organization)
  SELECT -id, casebook_search_text(name), casebook_search_text(email), casebook_search_text(organization) FROM customers
  WHERE casebook_search_text(name) IS NOT name OR casebook_search_text(email) IS NOT email OR casebook_search_text(organization) IS NOT organization;
--> statement-breakpoint
INSERT INTO search_fts(search_fts, rowid, subject, body)
  SELECT 'delete', id << 20, subject, description FROM cases
  WHERE casebook_search_text(subject) IS NOT subject OR casebook_search_text(description) IS NOT description;
--> statement-breakpoint
INSERT INTO search_fts(rowid, subject, body)
  SELECT id << 20, casebook_search_text(subject), casebook_search_text(description) FROM cases
  WHERE casebook_search_text(subject) IS NOT subject OR casebook_search_text(description) IS NOT description;
--> statement-breakpoint
CREATE TEMP TABLE `search_cjk_messages` AS
  SELECT (case_id << 20) + (position << 1) + (type = 'staff.noted') AS doc, json_extract(data, '$.body') AS body
  FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS position FROM case_events)
  WHERE (type = 'customer.replied' OR type = 'staff.replied' OR type = 'staff.noted') AND position < 524288
    AND casebook_search_text(json_extract(data, '$.body')) IS NOT json_extract(data, '$.body');
--> statement-breakpoint
INSERT INTO search_fts(search_fts, rowid, body) SELECT 'delete', doc, body FROM `search_cjk_messages`;
--> statement-breakpoint
INSERT INTO search_fts(rowid, body) SELECT doc, casebook_search_text(body) FROM `search_cjk_messages`;
--> statement-breakpoint
DROP TABLE `search_cjk_messages`;
