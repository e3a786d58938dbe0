/**
 * What anyone types or sends is stored as text: control characters (a NUL, a terminal escape)
 * and half an emoji are removed from a request and a message, whatever path they came by. A NUL
 * was a 500 on PostgreSQL (text cannot hold U+0000; a lone surrogate neither, in jsonb) and was
 * stored and shown to staff on SQLite.
 */
import { afterEach, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(() => h.close());

type Json = Record<string, any>;

it('removes controls and half emoji from a request, a message and a customer name', async () => {
  h = createHarness();
  standardQueues(h);
  const created = await h.api('POST', '/api/v1/cases', {
    token: ADMIN_TOKEN,
    body: {
      customer: { email: 'nul@example.com', name: 'Ol\u0000ga \u001b[31mRed\u001b[0m' },
      subject: 'Invoice\u0000 \ud83d wrong\u0007',
      description: 'Line one\u0000\r\nLine \u001b[1mtwo\u001b[0m\tend \udc00',
    },
  });
  expect(created.status).toBe(201);
  const c = (await created.json()) as Json;
  expect(c.subject).toBe('Invoice \uFFFD wrong');
  expect(c.description).toBe('Line one\nLine two\tend \uFFFD');
  expect(c.customer.name).toBe('Olga Red');

  const replied = await h.api('POST', `/api/v1/cases/${c.id}/messages`, { token: ADMIN_TOKEN, body: { body: 'Thanks\u0000 \ud83d\u0008!' } });
  expect(replied.status).toBe(201);
  await h.settled();
  const events = (await (await h.api('GET', `/api/v1/cases/${c.id}/events`, { token: ADMIN_TOKEN })).json()) as { type: string; data: Json }[];
  expect(events.find((e) => e.type === 'staff.replied')!.data.body).toBe('Thanks \uFFFD!');

  // Nothing but controls is nothing.
  const empty = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'nul@example.com' }, subject: '\u0000\u0007', description: 'x' } });
  expect(empty.status).toBe(422);
});
