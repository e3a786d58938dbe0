/**
 * A database without an active admin (a production start: no demo data) gives no way in until
 * someone provisions one with the ADMIN_TOKEN. Start-up says so, with the command to type,
 * instead of serving a sign-in page nobody can get past (docs/deploying.md "First accounts").
 */
import { and, eq } from 'drizzle-orm';
import type { Store } from '../db/store/index.js';

export async function firstAccountsHint(store: Store, options: { adminToken: string | null; publicUrl: string }): Promise<string | null> {
  const [admin] = await store.query(({ db, tables: { staff } }) => db.select({ id: staff.id }).from(staff).where(and(eq(staff.role, 'admin'), eq(staff.active, true))).limit(1));
  if (admin) return null;
  const provision = [
    `  curl -X POST ${options.publicUrl}/api/v1/users -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \\`,
    `    -d '{ "email": "you@example.com", "name": "Your Name", "role": "admin" }'`,
    '  then open the setPasswordUrl of its answer (docs/deploying.md "First accounts").',
  ];
  if (options.adminToken === null) {
    return ['No admin account yet, and no ADMIN_TOKEN: nobody can sign in. Restart with ADMIN_TOKEN set (16+ characters, e.g. openssl rand -hex 24), then provision the first admin:', ...provision].join('\n');
  }
  return ['No admin account yet: provision the first one with the ADMIN_TOKEN:', ...provision].join('\n');
}
