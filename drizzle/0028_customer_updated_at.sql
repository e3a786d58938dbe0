DROP INDEX `cases_customer_updated_idx`;--> statement-breakpoint
ALTER TABLE `cases` ADD `customer_updated_at` integer;--> statement-breakpoint
-- Hand-written: each case's last change its customer saw, read from its timeline by the rules
-- CaseContext.record keeps from now on (src/workflow/customer-visible.ts): a public message
-- either way, a new subject, a rating, an offered solution and the answer, and a state change
-- that changes the customer's wording (customerLabel, else label, else the state's name) or the
-- kind of state (category), or brings staff's solution — the states looked up in the workflow
-- version the case runs. Null where nothing did since the request (the customer sees created_at).
WITH `shown` AS (
  SELECT e.`case_id`, max(e.`at`) AS `at`
    FROM `case_events` e
    JOIN `cases` c ON c.`id` = e.`case_id`
    LEFT JOIN `definition_versions` w ON w.`kind` = 'workflow' AND w.`name` = c.`workflow` AND w.`version` = c.`workflow_version`
   WHERE e.`type` IN ('customer.replied', 'staff.replied', 'case.subject_changed', 'case.rated', 'case.solutionOffered', 'case.solutionAccepted', 'case.solutionDeclined')
      OR (e.`type` = 'case.transitioned' AND (
            (e.`actor_type` IN ('staff', 'system') AND json_type(e.`data`, '$.solution') = 'text')
         OR coalesce(json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.from'), '') || '".customerLabel'),
                     json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.from'), '') || '".label'),
                     coalesce(json_extract(e.`data`, '$.from'), ''))
            IS NOT
            coalesce(json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.to'), '') || '".customerLabel'),
                     json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.to'), '') || '".label'),
                     coalesce(json_extract(e.`data`, '$.to'), ''))
         OR json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.from'), '') || '".category')
            IS NOT json_extract(w.`body`, '$.states."' || coalesce(json_extract(e.`data`, '$.to'), '') || '".category')))
   GROUP BY e.`case_id`
)
UPDATE `cases` SET `customer_updated_at` = `shown`.`at` FROM `shown` WHERE `shown`.`case_id` = `cases`.`id`;--> statement-breakpoint
CREATE INDEX `cases_customer_updated_idx` ON `cases` (`customer_id`, (coalesce(customer_updated_at, created_at)), `open`);
