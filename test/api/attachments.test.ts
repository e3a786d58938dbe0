/**
 * Attachments through the JSON API: POST /api/v1/cases/:id/messages takes multipart/form-data
 * (`body`, `public`, `files`) beside JSON; GET /api/v1/cases/:id/attachments/:attachment
 * downloads what the caller may see. Limits answer problem+json 422 and store nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { AttachmentSettings } from '../../src/attachments/settings.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
afterEach(() => h?.close());

interface World {
  ref: string;
  customer: TestActor;
  other: TestActor;
  agent: TestActor;
}

async function world(limits: Partial<AttachmentSettings> = {}): Promise<World> {
  h = createHarness({ services: { attachments: limits } });
  standardQueues(h);
  const customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const other = h.customer({ email: 'sam@example.org', name: 'Sam' });
  const agent = h.agent({ name: 'Alice', queues: ['general'] });
  const c = await createCase(h.services, { subject: 'Hello', description: 'A question about my account' }, customer, { customerId: customer.id });
  return { ref: `C-${c.id}`, customer, other, agent };
}

function form(fields: Record<string, string>, files: { name: string; type?: string; content: string }[]): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  for (const f of files) body.append('files', new File([f.content], f.name, { type: f.type ?? 'application/octet-stream' }));
  return body;
}

async function post(ref: string, token: string, body: FormData): Promise<Response> {
  return h.app.request(`/api/v1/cases/${ref}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body });
}

async function get(url: string, token: string): Promise<Response> {
  return h.app.request(url, { headers: { Authorization: `Bearer ${token}` } });
}

interface MessageAnswer {
  message: { id: number; type: string; attachments?: { id: number; name: string; size: number; mediaType: string }[] };
}

describe('multipart messages', () => {
  it('a customer’s message with files: 201 with the files listed, each downloadable by the customer and the agent', async () => {
    const w = await world();
    const res = await post(w.ref, h.tokenFor(w.customer), form({ body: 'Both receipts attached.' }, [
      { name: 'receipt-1.pdf', type: 'application/pdf', content: '%PDF-1.4 one' },
      { name: 'receipt-2.pdf', type: 'application/pdf', content: '%PDF-1.4 two' },
    ]));
    expect(res.status).toBe(201);
    const { message } = (await res.json()) as MessageAnswer;
    expect(message.type).toBe('customer.replied');
    expect(message.attachments).toEqual([
      { id: expect.any(Number), name: 'receipt-1.pdf', size: 12, mediaType: 'application/pdf' },
      { id: expect.any(Number), name: 'receipt-2.pdf', size: 12, mediaType: 'application/pdf' },
    ]);
    const url = `/api/v1/cases/${w.ref}/attachments/${message.attachments![1]!.id}`;
    for (const token of [h.tokenFor(w.customer), h.tokenFor(w.agent)]) {
      const download = await get(url, token);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('%PDF-1.4 two');
      expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="receipt-2.pdf"; filename*=UTF-8''receipt-2.pdf`);
      expect(download.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(download.headers.get('Cache-Control')).toBe('private, no-store, no-transform');
    }
    expect((await get(url, h.tokenFor(w.other))).status).toBe(404);
    expect((await h.app.request(url)).status).toBe(401);
  });

  it('a staff internal note’s files appear on the staff timeline only and are 404 for the customer', async () => {
    const w = await world();
    const res = await post(w.ref, h.tokenFor(w.agent), form({ body: 'Logs from the server.', public: 'false' }, [{ name: 'server.log', type: 'text/plain', content: 'ERROR 42' }]));
    expect(res.status).toBe(201);
    const { message } = (await res.json()) as MessageAnswer;
    expect(message.type).toBe('staff.noted');
    const id = message.attachments![0]!.id;
    const staffEvents = (await (await get(`/api/v1/cases/${w.ref}/events`, h.tokenFor(w.agent))).json()) as { type: string; attachments?: { id: number }[] }[];
    expect(staffEvents.find((e) => e.type === 'staff.noted')!.attachments).toEqual([{ id, name: 'server.log', size: 8, mediaType: 'text/plain', kind: 'attachment' }]);
    const customerEvents = JSON.stringify(await (await get(`/api/v1/cases/${w.ref}/events`, h.tokenFor(w.customer))).json());
    expect(customerEvents).not.toContain('server.log');
    expect((await get(`/api/v1/cases/${w.ref}/attachments/${id}`, h.tokenFor(w.customer))).status).toBe(404);
    expect((await get(`/api/v1/cases/${w.ref}/attachments/${id}`, h.tokenFor(w.agent))).status).toBe(200);
  });

  it('validates the text fields like JSON: body required unless files are sent, public true or false, nothing else', async () => {
    const w = await world();
    const token = h.tokenFor(w.agent);
    const missing = await post(w.ref, token, form({ public: 'false' }, []));
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['body']);
    const json = await h.api('POST', `/api/v1/cases/${w.ref}/messages`, { token, body: { body: '   ', public: true } });
    expect(json.status).toBe(422);
    expect(((await json.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['body']);
    expect((await post(w.ref, token, form({ body: 'x', public: 'maybe' }, []))).status).toBe(422);
    expect((await post(w.ref, token, form({ body: 'x', author: 'someone else' }, []))).status).toBe(422);
    expect(await h.query((q) => q.db.select().from(q.tables.attachments))).toEqual([]);
  });

  it('files alone are a message: recorded with a text that says so, for customers and staff', async () => {
    const w = await world();
    const res = await post(w.ref, h.tokenFor(w.customer), form({}, [{ name: 'error.png', type: 'image/png', content: 'PNG' }]));
    expect(res.status).toBe(201);
    const { message } = (await res.json()) as MessageAnswer & { message: { body: string } };
    expect(message).toMatchObject({ type: 'customer.replied', body: '(No text, only an attachment.)', attachments: [{ name: 'error.png' }] });
    const staff = await post(w.ref, h.tokenFor(w.agent), form({ body: '', public: 'false' }, [{ name: 'a.log', content: 'a' }, { name: 'b.log', content: 'b' }]));
    expect(staff.status).toBe(201);
    expect(((await staff.json()) as { message: { data: { body: string } } }).message.data.body).toBe('(No text, only 2 attachments.)');
  });

  it('JSON messages work as before, and keep the 256 KiB limit', async () => {
    const w = await world();
    const token = h.tokenFor(w.agent);
    expect((await h.api('POST', `/api/v1/cases/${w.ref}/messages`, { token, body: { body: 'Plain JSON', public: true } })).status).toBe(201);
    const big = await h.api('POST', `/api/v1/cases/${w.ref}/messages`, { token, body: { body: 'x'.repeat(300 * 1024), public: true } });
    expect(big.status).toBe(413);
  });
});

describe('limits', () => {
  it('answer 422 problem+json with a stable code, and store nothing', async () => {
    const w = await world({ maxCount: 1, maxBytes: 10, maxTotalBytes: 10 });
    const token = h.tokenFor(w.customer);
    const many = await post(w.ref, token, form({ body: 'Two' }, [{ name: 'a', content: 'a' }, { name: 'b', content: 'b' }]));
    expect(many.status).toBe(422);
    expect(many.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await many.json()).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS', detail: 'At most 1 file per message; 2 were attached.', limit: 1, count: 2 });
    const large = await post(w.ref, token, form({ body: 'Large' }, [{ name: 'large.txt', content: 'x'.repeat(11) }]));
    expect(large.status).toBe(422);
    expect(await large.json()).toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', file: 'large.txt', size: 11, limit: 10 });
    expect(await h.query((q) => q.db.select().from(q.tables.attachments))).toEqual([]);
    expect((await h.query((q) => q.db.select().from(q.tables.caseEvents))).filter((e) => e.type === 'customer.replied')).toEqual([]);
  });
});
