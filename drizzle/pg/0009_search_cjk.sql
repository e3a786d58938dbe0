-- Hand-written: runs of Chinese, Japanese and Korean characters are indexed and searched as their
-- overlapping pairs, as on SQLite (drizzle/0033_search_cjk.sql, src/text/search-text.ts; docs/ui.md
-- "Search"): PostgreSQL's parser took a whole run (我想申请退款, written without spaces) as one word,
-- so 退款 found nothing inside it. casebook_search_cjk() turns each run into its pairs (我想 想申
-- 申请 请退 退款; a lone character stays itself) and sets a run apart from letters and digits next
-- to it; casebook_search_text(), what both the documents and the queries go through, applies it
-- to the tokens. The character class is search-text.ts's CJK_RANGES. Text without a CJK character
-- is returned as it is after one test, so no other document's words change.
CREATE FUNCTION casebook_search_cjk(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN t !~ '[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af]' THEN t ELSE
    regexp_replace(regexp_replace(regexp_replace(t,
      '(?<=[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af])([\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af])(?=[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af])', '\1 \1', 'g'),
      '([^\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af[:space:]])(?=[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af])', '\1 ', 'g'),
      '(?<=[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af])([^\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af[:space:]])', ' \1', 'g')
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION casebook_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(casebook_search_cjk(casebook_search_tokens(t)) COLLATE "und-x-icu")
$$;
--> statement-breakpoint
-- The documents already there with a CJK character, indexed anew (rebuild-documents.ts's statements,
-- for those rows only).
UPDATE search_documents d SET words = casebook_search_vector(c.name, c.email, c.organization)
  FROM customers c
 WHERE d.doc = -c.id AND concat_ws(' ', c.name, c.email, c.organization) ~ '[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af]';
--> statement-breakpoint
UPDATE search_documents d SET words = casebook_search_vector(c.subject, c.description)
  FROM cases c
 WHERE d.doc = c.id << 20 AND concat_ws(' ', c.subject, c.description) ~ '[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af]';
--> statement-breakpoint
UPDATE search_documents d SET words = casebook_search_vector(e.data ->> 'body')
  FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS place FROM case_events) e
 WHERE d.doc = (e.case_id << 20) + (e.place << 1) + (e.type = 'staff.noted')::int
   AND (e.type = 'customer.replied' OR e.type = 'staff.replied' OR e.type = 'staff.noted')
   AND (e.data ->> 'body') ~ '[\u1100-\u11ff\u3005\u303b\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\uffa0-\uffdc\U00020000-\U0002fa1f\U00030000-\U000323af]';
