/**
 * Attachments on the pages: agents attach files to replies and notes, customers to their
 * replies and new requests (multipart forms, no JavaScript needed); both timelines list them;
 * downloads only for those who may see them, with safe headers; limits refused with the form
 * again (422) and nothing stored. Real SQLite, real store on disk, app.request().
 */
import fs from 'node:fs';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/attachments/store.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createCase } from '../../src/cases/create-case.js';
import type { AttachmentSettings } from '../../src/attachments/settings.js';
import { createHarness, standardQueues, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
afterEach(() => h?.close());

interface World {
  ref: string;
  id: number;
  customer: TestActor;
  other: TestActor;
  agent: TestActor;
  otherAgent: TestActor;
  manager: TestActor;
}

async function world(limits: Partial<AttachmentSettings> = {}): Promise<World> {
  // A store of its own (on PostgreSQL the default is one temp folder per process, shared by every harness).
  h = createHarness({ services: { attachments: { dir: path.join(tempDir(), 'files'), ...limits } } });
  standardQueues(h);
  const customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const other = h.customer({ email: 'sam@example.org', name: 'Sam' });
  const agent = h.agent({ name: 'Alice', queues: ['general'] });
  const otherAgent = h.agent({ name: 'Bob', queues: ['technical'] });
  const manager = h.agent({ name: 'Maria', role: 'manager' });
  const c = await createCase(h.services, { subject: 'Hello', description: 'A question about my account' }, customer, { customerId: customer.id });
  expect(c.queueId).toBe('general');
  return { ref: `C-${c.id}`, id: c.id, customer, other, agent, otherAgent, manager };
}

const PDF = Buffer.from('%PDF-1.4\n% a small invoice\n%%EOF\n');

function rows() {
  return h.query((q) => q.db.select().from(q.tables.attachments).orderBy(asc(q.tables.attachments.id)));
}
async function events(id: number, type: string) {
  return (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(asc(q.tables.caseEvents.id)))).filter((e) => e.type === type);
}
/** Files in the store (the temp folder aside). */
function storedFiles(): string[] {
  const dir = h.services.attachments.settings.dir;
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith('tmp') && fs.statSync(path.join(dir, f)).isFile());
}
function link(ref: string, id: number): string {
  return `/cases/${ref}/attachments/${id}`;
}

describe('attaching files', () => {
  it('an agent’s public reply carries its files: stored on disk by hash, listed on both timelines, downloadable by the customer', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    const res = await desk.upload(`/cases/${w.ref}/messages`, { body: 'Here is the corrected invoice.', visibility: 'public' }, [
      { name: 'invoice.pdf', type: 'application/pdf', content: PDF },
      { name: 'Überweisung März.txt', type: 'text/plain', content: 'IBAN DE00 1234' },
    ]);
    expect(res.status).toBe(303);
    const reply = (await events(w.id, 'staff.replied'))[0]!;
    const stored = await rows();
    expect(stored.map((r) => ({ name: r.fileName, type: r.mediaType, size: r.size, event: r.eventId, by: [r.uploadedByType, r.uploadedById], kind: r.kind }))).toEqual([
      { name: 'invoice.pdf', type: 'application/pdf', size: PDF.length, event: reply.id, by: ['staff', w.agent.id], kind: 'attachment' },
      { name: 'Überweisung März.txt', type: 'text/plain', size: 14, event: reply.id, by: ['staff', w.agent.id], kind: 'attachment' },
    ]);
    expect(stored[0]!.sha256).toBe(sha256Hex(PDF));
    expect(fs.readFileSync(h.services.attachments.store.pathOf(stored[0]!.sha256))).toEqual(PDF);

    const staffPage = await (await desk.get(`/cases/${w.ref}`)).text();
    expect(staffPage).toContain(`href="${link(w.ref, stored[0]!.id)}"`);
    expect(staffPage).toContain('Überweisung März.txt');
    const portal = signedIn(h, w.customer);
    const customerPage = await (await portal.get(`/cases/${w.ref}`)).text();
    expect(customerPage).toContain(`href="${link(w.ref, stored[0]!.id)}"`);
    expect(customerPage).toContain(`href="${link(w.ref, stored[1]!.id)}"`);

    const download = await portal.get(link(w.ref, stored[0]!.id));
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PDF);
  });

  it('the same file attached twice is stored once', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    for (const body of ['First', 'Second']) {
      expect((await desk.upload(`/cases/${w.ref}/messages`, { body, visibility: 'public' }, [{ name: 'same.pdf', type: 'application/pdf', content: PDF }])).status).toBe(303);
    }
    expect(await rows()).toHaveLength(2);
    expect(new Set((await rows()).map((r) => r.sha256)).size).toBe(1);
    expect(storedFiles()).toHaveLength(1);
  });

  it('a plain form without files still works, and an empty file field adds nothing', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    expect((await desk.post(`/cases/${w.ref}/messages`, { body: 'No files', visibility: 'public' })).status).toBe(303);
    // What a browser sends for a file field left empty: a part with no name and no bytes.
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Still no files', visibility: 'public' }, [{ name: '', content: '' }])).status).toBe(303);
    expect(await events(w.id, 'staff.replied')).toHaveLength(2);
    expect(await rows()).toEqual([]);
  });

  it('customers attach files to their replies and to a new request; agents see and download them', async () => {
    const w = await world();
    const portal = signedIn(h, w.customer);
    expect((await portal.upload(`/cases/${w.ref}/messages`, { body: 'The screenshot.' }, [{ name: 'screen.png', type: 'image/png', content: new Uint8Array([137, 80, 78, 71, 1, 2, 3]) }])).status).toBe(303);
    const created = await portal.upload('/portal/cases', { subject: 'Printer jam', description: 'The printer jams on page 2.' }, [{ name: 'error-log.txt', type: 'text/plain', content: 'E42 paper jam' }]);
    expect(created.status).toBe(303);
    const newRef = /\/cases\/(C-\d+)/.exec(created.headers.get('Location')!)![1]!;
    const newId = parseCaseRef(newRef)!;
    const onRequest = (await rows()).find((r) => r.caseId === newId)!;
    const createdEvent = (await events(newId, 'case.created')).find((e) => e.data.channel === 'web')!;
    expect(onRequest).toMatchObject({ fileName: 'error-log.txt', eventId: createdEvent.id, uploadedByType: 'customer', uploadedById: w.customer.id });
    expect(await (await portal.get(`/cases/${newRef}`)).text()).toContain(`href="${link(newRef, onRequest.id)}"`);

    const reply = (await rows()).find((r) => r.caseId === w.id)!;
    expect(reply.eventId).toBe((await events(w.id, 'customer.replied'))[0]!.id);
    const desk = signedIn(h, w.agent);
    expect(await (await desk.get(`/cases/${w.ref}`)).text()).toContain(`href="${link(w.ref, reply.id)}"`);
    const download = await desk.get(link(w.ref, reply.id));
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(new Uint8Array([137, 80, 78, 71, 1, 2, 3]));
  });

  it('files alone are a reply (a screenshot, nothing to add), for customers and agents; no text and no file is refused with the form again', async () => {
    const w = await world();
    const portal = signedIn(h, w.customer);
    const form = await (await portal.get(`/cases/${w.ref}`)).text();
    expect(form).toMatch(/<textarea[^>]*id="reply-body"/);
    expect(form).not.toMatch(/<textarea[^>]*id="reply-body"[^>]*required/);
    const photo = { name: 'error.png', type: 'image/png', content: new Uint8Array([137, 80, 78, 71, 9]) };
    expect((await portal.upload(`/cases/${w.ref}/messages`, { body: '  ' }, [photo])).status).toBe(303);
    const [replied] = await events(w.id, 'customer.replied');
    expect(replied!.data.body).toBe('(No text, only an attachment.)');
    expect((await rows())[0]).toMatchObject({ caseId: w.id, eventId: replied!.id, fileName: 'error.png' });
    expect(await (await portal.get(`/cases/${w.ref}`)).text()).toContain('(No text, only an attachment.)');

    const refused = await portal.post(`/cases/${w.ref}/messages`, { body: '' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('write a message first, or attach a file');
    expect(await events(w.id, 'customer.replied')).toHaveLength(1);

    const desk = signedIn(h, w.agent);
    const log = { name: 'fix.txt', type: 'text/plain', content: 'run the fix' };
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: '', visibility: 'public', confirmed: '1' }, [log, { ...log, name: 'fix2.txt' }])).status).toBe(303);
    expect((await events(w.id, 'staff.replied'))[0]!.data.body).toBe('(No text, only 2 attachments.)');
    const empty = await desk.post(`/cases/${w.ref}/messages`, { body: '', visibility: 'internal' });
    expect(empty.status).toBe(422);
    expect(await events(w.id, 'staff.noted')).toHaveLength(0);
  });

  it('"Send and resolve" with files alone is refused when resolving needs a solution: files are not one, nothing is sent', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    const res = await desk.upload(`/cases/${w.ref}/messages`, { body: '', visibility: 'public', then: 'resolve', confirmed: '1' }, [{ name: 'fix.txt', type: 'text/plain', content: 'run the fix' }]);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('&quot;Resolve&quot; needs a solution the customer can read: write it in the reply, files alone are not one.');
    expect(await events(w.id, 'staff.replied')).toHaveLength(0);
    expect(await rows()).toEqual([]);
  });

  it('files of an internal note are for staff only: not listed for the customer, 404 when asked for', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Internal: the raw export', visibility: 'internal' }, [{ name: 'secret-export.csv', type: 'text/csv', content: 'a,b\n1,2\n' }])).status).toBe(303);
    const note = (await rows())[0]!;
    expect(note.eventId).toBe((await events(w.id, 'staff.noted'))[0]!.id);
    expect((await desk.get(link(w.ref, note.id))).status).toBe(200);
    const portal = signedIn(h, w.customer);
    expect(await (await portal.get(`/cases/${w.ref}`)).text()).not.toContain('secret-export');
    const refused = await portal.get(link(w.ref, note.id));
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('a,b');
  });
});

describe('downloads', () => {
  async function withFile(name: string, type: string, content: string | Uint8Array): Promise<{ w: World; id: number }> {
    const w = await world();
    expect((await signedIn(h, w.customer).upload(`/cases/${w.ref}/messages`, { body: 'See attached.' }, [{ name, type, content }])).status).toBe(303);
    return { w, id: (await rows()).at(-1)!.id };
  }

  it('are for the case’s customer and the staff who may see the case; everyone else gets 404 or the sign-in page', async () => {
    const { w, id } = await withFile('statement.pdf', 'application/pdf', PDF);
    const url = link(w.ref, id);
    const status = async (client: PageClient | null) => (client ? (await client.get(url)).status : (await h.app.request(`http://localhost${url}`)).status);
    expect(await status(signedIn(h, w.customer))).toBe(200);
    expect(await status(signedIn(h, w.agent))).toBe(200);
    expect(await status(signedIn(h, w.manager))).toBe(200);
    expect(await status(signedIn(h, w.other))).toBe(404);
    expect(await status(signedIn(h, w.otherAgent))).toBe(404);
    const anonymous = await h.app.request(`http://localhost${url}`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toMatch(/^\/login/);
  });

  it('only through the case they belong to, and only by a real id', async () => {
    const { w, id } = await withFile('statement.pdf', 'application/pdf', PDF);
    const second = await createCase(h.services, { subject: 'Another', description: 'Another question about my account' }, w.customer, { customerId: w.customer.id });
    const portal = signedIn(h, w.customer);
    expect((await portal.get(link(`C-${second.id}`, id))).status).toBe(404);
    for (const bad of ['0', '-1', 'abc', '1e3', `${id}.pdf`, '99999']) expect((await portal.get(`/cases/${w.ref}/attachments/${bad}`)).status, bad).toBe(404);
  });

  it('are downloads with nosniff, a sandboxing CSP, private no-store caching and the exact name (RFC 5987)', async () => {
    const { w, id } = await withFile('Überweisung März.pdf', 'application/pdf', PDF);
    const res = await signedIn(h, w.agent).get(link(w.ref, id));
    expect(res.headers.get('Content-Type')).toBe('application/pdf');
    expect(res.headers.get('Content-Disposition')).toBe(`attachment; filename="Uberweisung Marz.pdf"; filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf`);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(res.headers.get('Cache-Control')).toBe('private, no-store, no-transform');
    expect(res.headers.get('Content-Length')).toBe(String(PDF.length));
    expect(res.headers.get('Content-Encoding')).toBeNull();
  });

  it('serve HTML, SVG and anything not allow-listed as application/octet-stream, never as a page', async () => {
    const { w, id } = await withFile('page.html', 'text/html', '<script>alert(1)</script>');
    const res = await signedIn(h, w.customer).get(link(w.ref, id));
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment; /);
    expect(res.headers.get('Content-Security-Policy')).toContain('sandbox');
    expect((await rows())[0]!.mediaType).toBe('text/html'); // kept as declared
  });

  it('a file missing from the store is a 404 (and logged), not an empty download', async () => {
    const { w, id } = await withFile('gone.pdf', 'application/pdf', PDF);
    fs.rmSync(h.services.attachments.store.pathOf((await rows())[0]!.sha256));
    expect((await signedIn(h, w.agent).get(link(w.ref, id))).status).toBe(404);
  });
});

describe('limits', () => {
  const LIMITS = { maxCount: 2, maxBytes: 1000, maxTotalBytes: 1500 };

  it('too many files: the form again (422) with the message at the file field, the text kept, nothing stored', async () => {
    const w = await world(LIMITS);
    const desk = signedIn(h, w.agent);
    const res = await desk.upload(`/cases/${w.ref}/messages`, { body: 'Three files', visibility: 'public' }, [
      { name: 'a.txt', content: 'a' },
      { name: 'b.txt', content: 'b' },
      { name: 'c.txt', content: 'c' },
    ]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('At most 2 files per message; 3 were attached.');
    expect(html).toMatch(/<textarea[^>]*id="composer-body"[^>]*>Three files<\/textarea>/);
    expect(html).toContain('id="composer-files-error"');
    expect(await rows()).toEqual([]);
    expect(storedFiles()).toEqual([]);
    expect(await events(w.id, 'staff.replied')).toEqual([]);
  });

  it('a file too large, or files too large together: refused the same way (htmx gets the form fragment)', async () => {
    const w = await world(LIMITS);
    const portal = signedIn(h, w.customer);
    const one = await portal.upload(`/cases/${w.ref}/messages`, { body: 'Big' }, [{ name: 'big.bin', content: new Uint8Array(1001) }], { htmx: true });
    expect(one.status).toBe(422);
    expect(one.headers.get('HX-Retarget')).toBe('#reply-form');
    expect(await one.text()).toContain('“big.bin” is 1001 bytes; a file may be at most 1000 bytes.');
    const together = await portal.upload(`/cases/${w.ref}/messages`, { body: 'Two halves' }, [
      { name: 'a.bin', content: new Uint8Array(800) },
      { name: 'b.bin', content: new Uint8Array(800) },
    ]);
    expect(together.status).toBe(422);
    expect(await together.text()).toContain('The files are 1.6 KB together; at most 1.5 KB per message.');
    expect(await rows()).toEqual([]);
    expect(storedFiles()).toEqual([]);
    expect(await events(w.id, 'customer.replied')).toEqual([]);
  });

  it('a new request over the limits is not filed: the form again with the subject and description kept', async () => {
    const w = await world(LIMITS);
    const before = (await h.query((q) => q.db.select().from(q.tables.cases))).length;
    const res = await signedIn(h, w.customer).upload('/portal/cases', { subject: 'With files', description: 'Three logs attached' }, [
      { name: 'a.log', content: 'a' },
      { name: 'b.log', content: 'b' },
      { name: 'c.log', content: 'c' },
    ]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('At most 2 files per message; 3 were attached.');
    expect(html).toContain('value="With files"');
    expect(await h.query((q) => q.db.select().from(q.tables.cases))).toHaveLength(before);
    expect(storedFiles()).toEqual([]);
  });

  it('a form that comes back unsent says which files must be chosen again (a browser cannot keep them)', async () => {
    const w = await world();
    const before = (await h.query((q) => q.db.select().from(q.tables.cases))).length;
    const portal = signedIn(h, w.customer);
    // A new request without a subject: the text is kept, the screenshot cannot be.
    const request = await portal.upload('/portal/cases', { subject: '', description: 'See the screenshot' }, [{ name: 'shot <1>.png', type: 'image/png', content: 'PNG' }]);
    expect(request.status).toBe(422);
    const page = await request.text();
    expect(page).toContain('Not sent yet: “shot &lt;1&gt;.png”. A browser cannot keep files in a form that comes back: choose them again.');
    expect(page).toContain('aria-describedby="request-files-hint request-files-again"');
    expect(await h.query((q) => q.db.select().from(q.tables.cases))).toHaveLength(before);
    // A reply too long, as htmx sends it: the fragment says so too.
    const reply = await portal.upload(`/cases/${w.ref}/messages`, { body: 'x'.repeat(20_001) }, [{ name: 'a.log', content: 'a' }, { name: 'b.log', content: 'b' }], { htmx: true });
    expect(reply.status).toBe(422);
    expect(await reply.text()).toContain('Not sent yet: “a.log”, “b.log”.');
    // Staff: a public reply after a note asks first (200), and the files go with the question only by name.
    const desk = signedIn(h, w.agent);
    expect((await desk.post(`/cases/${w.ref}/messages`, { body: 'Checked the logs', visibility: 'internal' })).status).toBe(303);
    const asked = await desk.upload(`/cases/${w.ref}/messages`, { body: 'Here is the invoice', visibility: 'public' }, [{ name: 'invoice.pdf', type: 'application/pdf', content: PDF }]);
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Not sent yet: “invoice.pdf”.');
    expect(await rows()).toEqual([]);
    // A form without files says nothing of the kind.
    expect(await (await portal.upload('/portal/cases', { subject: '', description: 'No files' }, [])).text()).not.toContain('Not sent yet');
  });

  it('a body beyond the upload limit is refused before it is read (413); other forms keep their 64 KiB limit', async () => {
    const w = await world(LIMITS);
    const desk = signedIn(h, w.agent);
    const huge = await desk.upload(`/cases/${w.ref}/messages`, { body: 'Huge', visibility: 'public' }, [{ name: 'huge.bin', content: new Uint8Array(1500 + 1024 * 1024 + 1) }]);
    expect(huge.status).toBe(413);
    expect(await rows()).toEqual([]);
    const transition = await desk.upload(`/cases/${w.ref}/transitions`, { transition: 'waitOnCustomer' }, [{ name: 'x.bin', content: new Uint8Array(70 * 1024) }]);
    expect(transition.status).toBe(413);
  });
});

describe('CSRF on multipart forms', () => {
  it('needs the token, from the form field or the X-CSRF-Token header, and this site as the origin; a refusal stores nothing', async () => {
    const w = await world();
    const desk = signedIn(h, w.agent);
    const file = [{ name: 'a.txt', content: 'x' }];
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'No token', visibility: 'public' }, file, { csrf: false })).status).toBe(403);
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Wrong token', visibility: 'public' }, file, { csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Other site', visibility: 'public' }, file, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await rows()).toEqual([]);
    expect(await events(w.id, 'staff.replied')).toEqual([]);
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Field', visibility: 'public' }, file)).status).toBe(303);
    expect((await desk.upload(`/cases/${w.ref}/messages`, { body: 'Header', visibility: 'public' }, file, { csrfHeader: true, htmx: true })).status).toBe(200);
    expect(await events(w.id, 'staff.replied')).toHaveLength(2);
  });
});

describe('a failure while storing', () => {
  it('leaves no message and no row naming a missing file', async () => {
    const w = await world();
    const content = 'bytes the store cannot place';
    // Something that is not a file sits where these bytes belong: the rename into place fails.
    fs.mkdirSync(path.join(h.services.attachments.store.pathOf(sha256Hex(Buffer.from(content))), 'in-the-way'), { recursive: true });
    const res = await signedIn(h, w.agent).upload(`/cases/${w.ref}/messages`, { body: 'With a file', visibility: 'public' }, [{ name: 'a.txt', content }]);
    expect(res.status).toBe(500);
    expect(await rows()).toEqual([]);
    expect(await events(w.id, 'staff.replied')).toEqual([]);
  });
});
