-- Hand-written: full-text search on PostgreSQL (docs/postgres.md "Search on PostgreSQL"), the
-- port of SQLite's search_fts (drizzle/0015_search.sql, 0018_privacy.sql, 0024) with FTS5's
-- results contract. One row per document, keyed by the same id as search_fts's rowid
-- (src/search/documents.ts):
--   case_id << 20                        a case: subject and description
--   case_id << 20 | position << 1 | note a message at its place in the case's timeline (1-based,
--                                        below 2^19); `note` 1 for an internal note
--   -customer_id                         a customer: name, email, organization
-- The words are a tsvector in the `casebook` text search configuration, kept by triggers in the
-- transaction of every change, as SQLite's triggers keep search_fts.
--
-- FTS5 tokenizes with `porter unicode61 remove_diacritics 2` and no stop words. Here:
-- casebook_search_tokens() turns every character FTS5 does not count as part of a word (not a
-- letter, number or private-use character, nor a combining mark) into a space, one for one, so
-- PostgreSQL's parser sees only runs of letters and digits (no e-mail, URL, host or hyphenated
-- tokens; "pat@example.com" is three words as in FTS5) whatever the cluster's locale; lower()
-- under ICU folds case beyond ASCII; the configuration then removes diacritics (unaccent) and
-- stems with Snowball's English stemmer WITHOUT a stop word list (the stock english_stem has
-- one); tokens with digits go to `simple` (no stemming).
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE TEXT SEARCH DICTIONARY casebook_english (TEMPLATE = snowball, Language = english);
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION casebook (COPY = simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION casebook ALTER MAPPING FOR asciiword, word, asciihword, hword, hword_asciipart, hword_part WITH unaccent, casebook_english;
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION casebook ALTER MAPPING FOR numword, numhword, hword_numpart, int, uint, float, sfloat, version WITH unaccent, simple;
--> statement-breakpoint
-- One separator (a space) for each character that is no part of a word: the text keeps its
-- length in characters, so ts_headline's output maps back onto the original (src/search/pg/highlight.ts).
-- [:alnum:] under ICU is Unicode's letters and decimal digits; the other numbers (², ½, ①, Ⅻ),
-- combining marks and the private use area are listed.
CREATE FUNCTION casebook_search_tokens(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(t COLLATE "und-x-icu",
    '[^[:alnum:]\u0300-\u036F\u00B2\u00B3\u00B9\u00BC-\u00BE\u2070\u2074-\u2079\u2080-\u2089\u2150-\u2189\u2460-\u249B\u24EA-\u24FF\u2776-\u2793\uE000-\uF8FF]',
    ' ', 'g')
$$;
--> statement-breakpoint
-- What the configuration is given: the tokens, lower-cased by Unicode's rules (ICU).
CREATE FUNCTION casebook_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(casebook_search_tokens(t) COLLATE "und-x-icu")
$$;
--> statement-breakpoint
-- A document's words, column after column. FTS5 never matches a phrase across two columns;
-- here the columns are one vector, so a gap of one position is left between them (a placeholder
-- lexeme no text can produce — it contains a space — removed again by ts_delete). NULL columns
-- count as empty, as FTS5 indexes them.
CREATE FUNCTION casebook_search_vector(VARIADIC parts text[]) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  words tsvector := ''::tsvector;
  part text;
BEGIN
  FOREACH part IN ARRAY parts LOOP
    IF words <> ''::tsvector THEN
      words := words || $v$' ':1$v$::tsvector;
    END IF;
    words := words || to_tsvector('casebook', casebook_search_text(coalesce(part, '')));
  END LOOP;
  RETURN ts_delete(words, ' ');
END;
$$;
--> statement-breakpoint
CREATE TABLE search_documents (
  doc bigint PRIMARY KEY,
  words tsvector NOT NULL
);
--> statement-breakpoint
CREATE INDEX search_documents_words_idx ON search_documents USING gin (words);
--> statement-breakpoint
-- search_fts_case_insert, _update (a changed subject or description only), _delete.
CREATE FUNCTION search_documents_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_documents WHERE doc = OLD.id << 20;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_documents (doc, words) VALUES (NEW.id << 20, casebook_search_vector(NEW.subject, NEW.description));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER search_documents_case_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION search_documents_case();
--> statement-breakpoint
CREATE TRIGGER search_documents_case_update AFTER UPDATE OF subject, description ON cases FOR EACH ROW
  WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description)
  EXECUTE FUNCTION search_documents_case();
--> statement-breakpoint
CREATE TRIGGER search_documents_case_delete AFTER DELETE ON cases FOR EACH ROW EXECUTE FUNCTION search_documents_case();
--> statement-breakpoint
-- search_fts_message: a message's document at its place in the timeline (every entry counts),
-- up to 524287; a note's document has the low bit set.
CREATE FUNCTION search_documents_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  place bigint;
BEGIN
  SELECT count(*) INTO place FROM case_events WHERE case_id = NEW.case_id AND id <= NEW.id;
  IF place < 524288 THEN
    INSERT INTO search_documents (doc, words)
      VALUES ((NEW.case_id << 20) + (place << 1) + (NEW.type = 'staff.noted')::int, casebook_search_vector(NEW.data ->> 'body'));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER search_documents_message AFTER INSERT ON case_events FOR EACH ROW
  WHEN (NEW.type = 'customer.replied' OR NEW.type = 'staff.replied' OR NEW.type = 'staff.noted')
  EXECUTE FUNCTION search_documents_message();
--> statement-breakpoint
-- An erasure's redaction of a message (the only UPDATE the timeline accepts: case_events_no_update)
-- forgets its document, as src/privacy/erase-cases.ts deletes it from search_fts on SQLite before
-- redacting. The case's own document follows its erased subject and description (above).
CREATE FUNCTION search_documents_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  place bigint;
BEGIN
  SELECT count(*) INTO place FROM case_events WHERE case_id = OLD.case_id AND id <= OLD.id;
  DELETE FROM search_documents WHERE doc = (OLD.case_id << 20) + (place << 1) + (OLD.type = 'staff.noted')::int;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER search_documents_redaction AFTER UPDATE OF data ON case_events FOR EACH ROW
  WHEN (OLD.type = 'customer.replied' OR OLD.type = 'staff.replied' OR OLD.type = 'staff.noted')
  EXECUTE FUNCTION search_documents_redaction();
--> statement-breakpoint
-- search_fts_customer_insert, _update (a changed name, email or organization only), _delete.
CREATE FUNCTION search_documents_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_documents WHERE doc = -OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_documents (doc, words) VALUES (-NEW.id, casebook_search_vector(NEW.name, NEW.email, NEW.organization));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER search_documents_customer_insert AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION search_documents_customer();
--> statement-breakpoint
CREATE TRIGGER search_documents_customer_update AFTER UPDATE OF name, email, organization ON customers FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email OR OLD.organization IS DISTINCT FROM NEW.organization)
  EXECUTE FUNCTION search_documents_customer();
--> statement-breakpoint
CREATE TRIGGER search_documents_customer_delete AFTER DELETE ON customers FOR EACH ROW EXECUTE FUNCTION search_documents_customer();
--> statement-breakpoint
-- What a database already holds becomes searchable (the statements of src/search/pg/rebuild-documents.ts).
INSERT INTO search_documents (doc, words) SELECT -id, casebook_search_vector(name, email, organization) FROM customers;
--> statement-breakpoint
INSERT INTO search_documents (doc, words) SELECT id << 20, casebook_search_vector(subject, description) FROM cases;
--> statement-breakpoint
INSERT INTO search_documents (doc, words)
  SELECT (case_id << 20) + (place << 1) + (type = 'staff.noted')::int, casebook_search_vector(data ->> 'body')
  FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS place FROM case_events) e
  WHERE (type = 'customer.replied' OR type = 'staff.replied' OR type = 'staff.noted') AND place < 524288;
