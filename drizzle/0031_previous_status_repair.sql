-- Hand-written: cases an earlier defect left with `previous_status` equal to their own state (a
-- transition back into the same state, a reminder `pending → pending`, overwrote it), so their
-- `@previous` transitions went nowhere. `@previous` is the last *other* state the case was in
-- (CaseContext's #enter since the fix): the `from` of its last state change to another state on
-- its timeline. Kept only when it is a state of the workflow version the case runs and not its
-- state now (a re-apply may have mapped the state since); otherwise NULL: "no state to return
-- to", a clear refusal, instead of a transition into the same state.
WITH `repaired` AS (
  SELECT c.`id`, c.`status`, c.`workflow`, c.`workflow_version`,
         (SELECT json_extract(e.`data`, '$.from')
            FROM `case_events` e
           WHERE e.`case_id` = c.`id` AND e.`type` = 'case.transitioned'
             AND json_extract(e.`data`, '$.from') IS NOT json_extract(e.`data`, '$.to')
           ORDER BY e.`id` DESC
           LIMIT 1) AS `previous`
    FROM `cases` c
   WHERE c.`previous_status` = c.`status`
)
UPDATE `cases`
   SET `previous_status` = CASE
         WHEN r.`previous` IS NOT r.`status` AND EXISTS (
           SELECT 1 FROM `definition_versions` w
            WHERE w.`kind` = 'workflow' AND w.`name` = r.`workflow` AND w.`version` = r.`workflow_version`
              AND json_type(w.`body`, '$.states."' || r.`previous` || '"') = 'object')
         THEN r.`previous`
         ELSE NULL
       END
  FROM `repaired` r
 WHERE r.`id` = `cases`.`id`;
