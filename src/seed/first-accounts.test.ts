import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { staff } from '../db/schema/index.js';
import { openStore } from '../db/store/open.js';
import { firstAccountsHint } from './first-accounts.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-first-'));
const db = openDatabase(path.join(dir, 'casebook.db'));
const store = openStore({ sqlite: db });
afterAll(() => {
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const publicUrl = 'https://support.example.com';

describe('firstAccountsHint', () => {
  it('on a database without an active admin, gives the steps: ADMIN_TOKEN first when it is not set', async () => {
    const noToken = (await firstAccountsHint(store, { adminToken: null, publicUrl }))!;
    expect(noToken).toMatch(/^No admin account yet, and no ADMIN_TOKEN: nobody can sign in\. Restart with ADMIN_TOKEN set/);
    expect(noToken).toContain(`curl -X POST ${publicUrl}/api/v1/users -H "Authorization: Bearer $ADMIN_TOKEN"`);
    expect(noToken).toContain('"role": "admin"');
    const withToken = (await firstAccountsHint(store, { adminToken: 'x'.repeat(16), publicUrl }))!;
    expect(withToken).toMatch(/^No admin account yet: provision the first one with the ADMIN_TOKEN:/);
    expect(withToken).not.toContain('x'.repeat(16)); // the token itself is never printed

    // staff without an admin among them, or an admin who was deactivated, still leave nobody to administer
    db.insert(staff).values({ email: 'agent@example.com', name: 'Agent', role: 'agent', createdAt: 0, updatedAt: 0 }).run();
    db.insert(staff).values({ email: 'old-admin@example.com', name: 'Old Admin', role: 'admin', active: false, createdAt: 0, updatedAt: 0 }).run();
    expect(await firstAccountsHint(store, { adminToken: null, publicUrl })).not.toBeNull();
  });

  it('says nothing once an active admin exists', async () => {
    db.update(staff).set({ active: true }).where(eq(staff.email, 'old-admin@example.com')).run();
    expect(await firstAccountsHint(store, { adminToken: null, publicUrl })).toBeNull();
  });
});
