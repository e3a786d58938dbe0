import { defineConfig } from 'drizzle-kit';

/**
 * The PostgreSQL migrations (docs/postgres.md): src/db/pg/schema.ts is generated from the
 * SQLite schema (`npm run db:pg-schema`); every schema change gets a migration here too:
 * `npx drizzle-kit generate --config drizzle.pg.config.ts --name <feature>`.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './drizzle/pg',
});
