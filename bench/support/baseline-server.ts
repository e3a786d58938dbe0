/**
 * The intake baseline: a bare Hono route that inserts one row into SQLite with the same
 * pragmas as Casebook (WAL, synchronous=NORMAL, foreign keys, busy timeout), and answers
 * 201 with the row id. What intake could not be faster than.
 */
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';

const file = process.env.DATABASE_PATH!;
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.exec('CREATE TABLE IF NOT EXISTS cases (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, description TEXT NOT NULL, customer TEXT NOT NULL, created_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO cases (subject, description, customer, created_at) VALUES (?, ?, ?, ?)');

const app = new Hono();
app.post('/api/v1/cases', async (c) => {
  const body = (await c.req.json()) as { subject: string; description: string; customer: { email: string } };
  const { lastInsertRowid } = insert.run(body.subject, body.description, body.customer.email, Date.now());
  return c.json({ id: `C-${lastInsertRowid}` }, 201);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, () => {
  process.stdout.write('Casebook is running (baseline)\n');
});
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
