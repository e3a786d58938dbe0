-- cases_waiting_rank_idx: a queue's waiting cases by priority, then oldest (a `priority` queue's
-- order). When an agent frees capacity, the fill (src/assignment/fill-capacity.ts) reads each of
-- their queues' next case from it, or from cases_waiting_idx for a `fifo` queue, instead of
-- sorting every waiting case of their queues (19–27 ms a fill step at 20,000 waiting). Partial: only
-- waiting cases have entries, so an intake that assigns its case pays nothing for it.
CREATE INDEX `cases_waiting_rank_idx` ON `cases` (`queue_id`,(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),`waiting_since`,`id`) WHERE "cases"."waiting_since" IS NOT NULL;