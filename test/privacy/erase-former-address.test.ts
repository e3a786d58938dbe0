/**
 * Erasing a customer whose address was changed (a caller's real address, a move): what was
 * kept under the former address — the mail log, sign-up and sign-in throttling rows, the CRM's
 * record, what they wrote on other customers' cases — is in their export and goes with the
 * erasure too, not only what is kept under the current one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { customerExport } from '../../src/http/api/schemas/privacy.js';
import { ADMIN_TOKEN, type Harness } from '../support/harness.js';
import { emailHarness, postMail } from '../email/support.js';

const FORMER = 'former.q7zk@example.com';
let h: Harness;
beforeAll(() => {
  h = emailHarness();
});
afterAll(() => h.close());

async function tablesHolding(text: string): Promise<string[]> {
  const names = h.dialect === 'sqlite'
    ? (await h.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_fts%' AND name NOT LIKE 'problems_fts%' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name)
    : (await h.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).map((r) => r.name);
  const holding: string[] = [];
  for (const name of names) {
    const rows = await h.all<Record<string, unknown>>(`SELECT * FROM "${name}"`);
    if (rows.some((row) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).toLowerCase().includes(text))) holding.push(name);
  }
  return holding;
}

it('exports what was kept under the former address, as the erasure finds it', async () => {
  const OLD = 'gil.old.w3xt@example.com';
  const own = await postMail(h, ['From: Gil <' + OLD + '>', 'To: support@example.com', 'Subject: Scanner', 'Message-ID: <w3xt-1@example.com>', '', 'It will not scan.'].join('\r\n'));
  const bob = await postMail(h, ['From: Bob <bob.w3xt@example.org>', 'To: support@example.com', 'Subject: Toner', 'Message-ID: <w3xt-2@example.org>', '', 'Out of toner.'].join('\r\n'));
  // Gil writes into Bob's thread: filed there, from the old address.
  const stray = await postMail(h, ['From: Gil <' + OLD + '>', 'To: support@example.com', `Subject: Re: [${bob.body.case!}] Toner`, 'Message-ID: <w3xt-3@example.com>', '', 'Gil in the wrong thread.'].join('\r\n'));
  expect(stray.body).toMatchObject({ result: 'appended', case: bob.body.case });
  const [gil] = await h.all<{ id: number }>('SELECT id FROM customers WHERE email = ?', OLD);
  // The CRM's answer about the old address, kept from an earlier lookup.
  await h.services.store.write((q) => q.db.insert(q.tables.crmRecords).values({ email: OLD, data: { plan: 'gold' }, fetchedAt: h.clock.now() }));
  expect((await h.api('PATCH', `/api/v1/customers/${gil!.id}`, { token: ADMIN_TOKEN, body: { email: 'gil.new.w3xt@example.com', reason: 'moved' } })).status).toBe(200);

  const exported = (await (await h.api('GET', `/api/v1/customers/${gil!.id}/export`, { token: ADMIN_TOKEN })).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(customerExport.safeParse(exported).success).toBe(true);
  expect(exported.cases.map((c: { id: string }) => c.id)).toEqual([own.body.case]);
  // The mail log: their own case's mail, and the one from the old address on Bob's case.
  expect(exported.mail.map((m: { from: string; case: string }) => [m.from, m.case])).toEqual([
    [OLD, own.body.case],
    [OLD, bob.body.case],
  ]);
  expect(exported.messagesOnOtherCases).toEqual([{ case: bob.body.case, at: expect.any(String), body: expect.stringContaining('Gil in the wrong thread.') }]);
  expect(exported.crm).toBeNull();
  expect(exported.crmFormerAddresses).toEqual([{ email: OLD, record: { plan: 'gold' }, fetchedAt: expect.any(String) }]);
});

it('forgets the former address as well as the current one', async () => {
  const raw = ['From: Fay <' + FORMER + '>', 'To: support@example.com', 'Subject: Printer', 'Message-ID: <q7zk-1@example.com>', 'Date: Mon, 02 Mar 2026 09:00:00 +0000', '', 'It is broken.'].join('\r\n');
  expect((await postMail(h, raw)).status).toBe(202);
  const [row] = await h.all<{ id: number }>('SELECT id FROM customers WHERE email = ?', FORMER);
  const changed = await h.api('PATCH', `/api/v1/customers/${row!.id}`, { token: ADMIN_TOKEN, body: { email: 'fay.new@example.com', reason: 'moved' } });
  expect(changed.status).toBe(200);
  // Failed sign-ins under the former address (the throttle's row, kept by address).
  await h.run('INSERT INTO sign_in_attempts (key, failures, window_started_at) VALUES (?, ?, ?)', `email:${FORMER}`, 2, h.clock.now());
  expect(await tablesHolding(FORMER)).toEqual(expect.arrayContaining(['inbound_mail', 'sign_in_attempts']));
  expect((await h.api('POST', `/api/v1/customers/${row!.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
  expect(await tablesHolding(FORMER)).toEqual([]);
  expect(await tablesHolding('fay.new@example.com')).toEqual([]);
});
