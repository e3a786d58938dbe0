-- Full-text search over the problem library (symptoms → solution), kept in sync by triggers.
CREATE VIRTUAL TABLE `problems_fts` USING fts5(
  title, symptoms, solution,
  content='problems', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `problems_fts_insert` AFTER INSERT ON `problems` BEGIN
  INSERT INTO problems_fts(rowid, title, symptoms, solution) VALUES (new.id, new.title, new.symptoms, new.solution);
END;
--> statement-breakpoint
CREATE TRIGGER `problems_fts_delete` AFTER DELETE ON `problems` BEGIN
  INSERT INTO problems_fts(problems_fts, rowid, title, symptoms, solution) VALUES ('delete', old.id, old.title, old.symptoms, old.solution);
END;
--> statement-breakpoint
CREATE TRIGGER `problems_fts_update` AFTER UPDATE OF title, symptoms, solution ON `problems` BEGIN
  INSERT INTO problems_fts(problems_fts, rowid, title, symptoms, solution) VALUES ('delete', old.id, old.title, old.symptoms, old.solution);
  INSERT INTO problems_fts(rowid, title, symptoms, solution) VALUES (new.id, new.title, new.symptoms, new.solution);
END;
--> statement-breakpoint
-- Public case references are `C-<id>`; start them at C-1001.
INSERT INTO sqlite_sequence(name, seq) SELECT 'cases', 1000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'cases');
--> statement-breakpoint
-- The timeline is append-only: refuse edits and deletions at the database level.
CREATE TRIGGER `case_events_no_update` BEFORE UPDATE ON `case_events` BEGIN
  SELECT RAISE(ABORT, 'case_events is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `case_events_no_delete` BEFORE DELETE ON `case_events` BEGIN
  SELECT RAISE(ABORT, 'case_events is append-only');
END;
