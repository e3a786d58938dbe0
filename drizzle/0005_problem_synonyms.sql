ALTER TABLE `problems` ADD `synonyms` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Hand-written: the problem library's full-text index also covers the
-- synonyms. FTS5 tables cannot gain a column, so the index and its triggers are rebuilt.
DROP TRIGGER IF EXISTS `problems_fts_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `problems_fts_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `problems_fts_update`;
--> statement-breakpoint
DROP TABLE IF EXISTS `problems_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `problems_fts` USING fts5(
  title, symptoms, solution, synonyms,
  content='problems', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `problems_fts_insert` AFTER INSERT ON `problems` BEGIN
  INSERT INTO problems_fts(rowid, title, symptoms, solution, synonyms) VALUES (new.id, new.title, new.symptoms, new.solution, new.synonyms);
END;
--> statement-breakpoint
CREATE TRIGGER `problems_fts_delete` AFTER DELETE ON `problems` BEGIN
  INSERT INTO problems_fts(problems_fts, rowid, title, symptoms, solution, synonyms) VALUES ('delete', old.id, old.title, old.symptoms, old.solution, old.synonyms);
END;
--> statement-breakpoint
CREATE TRIGGER `problems_fts_update` AFTER UPDATE OF title, symptoms, solution, synonyms ON `problems` BEGIN
  INSERT INTO problems_fts(problems_fts, rowid, title, symptoms, solution, synonyms) VALUES ('delete', old.id, old.title, old.symptoms, old.solution, old.synonyms);
  INSERT INTO problems_fts(rowid, title, symptoms, solution, synonyms) VALUES (new.id, new.title, new.symptoms, new.solution, new.synonyms);
END;
--> statement-breakpoint
INSERT INTO problems_fts(problems_fts) VALUES ('rebuild');
