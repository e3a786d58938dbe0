-- staff_pick_idx dropped: SQLite's pick reads its own per-queue order (drizzle/0049_pick_order.sql);
-- the PostgreSQL pick locks and reads the queue's members (src/assignment/pg.ts) and never used it.
DROP INDEX "staff_pick_idx";
