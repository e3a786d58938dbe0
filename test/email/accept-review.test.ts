/**
 * A mail held for review (from someone neither the case's customer nor copied on it) posted as
 * the customer's message by an agent (src/channels/email/accept-review.ts): through the case
 * page's form, real SQLite with the migrations, app.request().
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { customerTimeline } from '../../src/cases/case-read.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import type { Harness, TestActor } from '../support/harness.js';
import { emailHarness, eventsOf, fixture, postMail, signedIn } from './support.js';

let h: Harness;
afterEach(() => h?.close());

const caseRow = async (ref: string) => (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, parseCaseRef(ref)!))))[0]!;
const events = (ref: string, type?: string) => eventsOf(h, parseCaseRef(ref)!, type);

/** The work address of the case's customer, naming the case by its subject tag only: held for review. */
function workMail(ref: string, id: string, text: string, subject = `Re: [${ref}] Invoice 2026-03 charged twice`): string {
  return (
    `From: Chloe Martin <chloe.martin@acme.example>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}@acme.example>\r\n` +
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
    `--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n` +
    '--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="statement.pdf"\r\n\r\n%PDF-1.4 statement\r\n--b1--\r\n'
  );
}

async function world(): Promise<{ ref: string; agent: TestActor; note: number }> {
  h = emailHarness();
  const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
  const posted = await postMail(h, fixture('new-request.eml'));
  const ref = posted.body.case!;
  const text = 'From my work address: the statement is attached.\r\n\r\nOn Mon, 2 Mar 2026 at 10:30, Support <support@example.com> wrote:\r\n> Could you send the statement?';
  expect((await postMail(h, workMail(ref, 'work-1', text))).body).toMatchObject({ result: 'appended', case: ref, reason: 'review' });
  const note = (await events(ref, 'staff.noted'))[0]!;
  expect(note.data).toMatchObject({ review: true, from: 'chloe.martin@acme.example' });
  return { ref, agent, note: note.id };
}

describe('a mail held for review', () => {
  it('is posted as the customer’s message by an agent: cut at the quote, with its files, the sender copied when asked, the customer sees it', async () => {
    const { ref, agent, note } = await world();
    const desk = signedIn(h, agent);
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain(`action="/cases/${ref}/reviewed-mail/${note}"`);
    expect(page).toContain('Post as the customer&#39;s message');

    const res = await desk.post(`/cases/${ref}/reviewed-mail/${note}`, { copy: '1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/cases/${ref}#event-${note}`);

    const [message] = await events(ref, 'customer.replied');
    expect(message!.actorType).toBe('customer');
    expect(message!.data).toMatchObject({ body: 'From my work address: the statement is attached.', from: 'chloe.martin@acme.example', via: 'email', acceptedFrom: note, messageId: 'work-1@acme.example' });
    expect(String(message!.data.original)).toContain('> Could you send the statement?');
    const [accepted] = await events(ref, 'email.accepted');
    expect(accepted).toMatchObject({ actorType: 'staff', actorId: agent.id, data: { note, message: message!.id, from: 'chloe.martin@acme.example', copied: true } });
    const files = await h.query((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.eventId, message!.id)));
    expect(files.map((f) => [f.fileName, f.kind, f.uploadedByType])).toEqual([['statement.pdf', 'attachment', 'customer']]);
    const contacts = await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, parseCaseRef(ref)!)));
    expect(contacts.map((c) => c.address)).toContain('chloe.martin@acme.example');

    // The customer sees the message and its file; the note stays staff-only.
    const c = await caseRow(ref);
    const seen = await customerTimeline(h.services, c);
    const reply = seen.find((e) => e.type === 'customer.replied') as { body: string; attachments?: { name: string }[] } | undefined;
    expect(reply).toMatchObject({ body: 'From my work address: the statement is attached.', attachments: [{ name: 'statement.pdf' }] });
    expect(seen.map((e) => e.type)).not.toContain('staff.noted');

    // The note says so, and offers nothing more; the timeline says who did it.
    const after = await (await desk.get(`/cases/${ref}`)).text();
    expect(after).not.toContain(`action="/cases/${ref}/reviewed-mail/${note}"`);
    expect(after).toContain('for review: posted as the customer&#39;s message since');
    expect(after).toContain('Alice posted the mail from chloe.martin@acme.example as the customer&#39;s message, and copied chloe.martin@acme.example on the case');

    // Copied: their next mail is the customer's at once.
    expect((await postMail(h, workMail(ref, 'work-2', 'One more thing.'))).body).toMatchObject({ result: 'appended', case: ref, reason: null });
    expect((await events(ref, 'customer.replied')).map((e) => e.data.body)).toEqual(['From my work address: the statement is attached.', 'One more thing.']);
  });

  it('becomes the message the mail would have made from the customer: a forward whole, a reply that is only the quote says it had no text', async () => {
    const { ref, agent } = await world();
    const desk = signedIn(h, agent);
    // The bank's answer the agent asked for, forwarded from the work address: what the customer sends is the forwarded mail.
    const forwarded =
      'Here is what my bank says.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bank <service@bank.example>\r\nDate: Tue, 3 Mar 2026 at 09:12\r\nSubject: Your refund\r\nTo: <chloe.martin@acme.example>\r\n\r\nThe refund of 49,00 EUR was declined: the card was closed.';
    expect((await postMail(h, workMail(ref, 'work-fwd', forwarded, `Fwd: [${ref}] Your refund`))).body).toMatchObject({ result: 'appended', reason: 'review' });
    // A photo sent back with "Reply" and nothing typed: the text is only our own quoted words.
    const onlyQuote = 'On Mon, 2 Mar 2026 at 10:30, Support <support@example.com> wrote:\r\n> Could you send the statement?';
    expect((await postMail(h, workMail(ref, 'work-quote', onlyQuote))).body).toMatchObject({ result: 'appended', reason: 'review' });
    const notes = (await events(ref, 'staff.noted')).filter((e) => e.data.review === true);
    const noteOf = (id: string) => notes.find((e) => e.data.messageId === `${id}@acme.example`)!.id;
    expect((await desk.post(`/cases/${ref}/reviewed-mail/${noteOf('work-fwd')}`, {})).status).toBe(303);
    expect((await desk.post(`/cases/${ref}/reviewed-mail/${noteOf('work-quote')}`, {})).status).toBe(303);

    const messages = await events(ref, 'customer.replied');
    const fwd = messages.find((e) => e.data.messageId === 'work-fwd@acme.example')!;
    expect(fwd.data.body).toBe(forwarded.replace(/\r\n/g, '\n'));
    expect(fwd.data.original).toBeUndefined();
    const quote = messages.find((e) => e.data.messageId === 'work-quote@acme.example')!;
    expect(quote.data.body).toBe('(The mail had no text, only 1 attachment.)');
    expect(String(quote.data.original)).toContain('> Could you send the statement?');
    // The customer sees the bank's answer, and never our question as theirs.
    const seen = (await customerTimeline(h.services, await caseRow(ref))).filter((e) => e.type === 'customer.replied') as unknown as { body: string }[];
    expect(seen.map((e) => e.body)).toEqual([forwarded.replace(/\r\n/g, '\n'), '(The mail had no text, only 1 attachment.)']);
  });

  it('without copying the sender, their next mail is held for review again', async () => {
    const { ref, agent, note } = await world();
    expect((await signedIn(h, agent).post(`/cases/${ref}/reviewed-mail/${note}`, {})).status).toBe(303);
    expect((await events(ref, 'email.accepted'))[0]!.data.copied).toBe(false);
    expect((await postMail(h, workMail(ref, 'work-2', 'One more thing.'))).body).toMatchObject({ result: 'appended', case: ref, reason: 'review' });
    expect(await events(ref, 'customer.replied')).toHaveLength(1);
  });

  it('moves a case waiting on the customer back to work, as the customer’s reply does', async () => {
    const { ref, agent, note } = await world();
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'waitOnCustomer' }, agent);
    expect((await caseRow(ref)).status).toBe('pending');
    expect((await signedIn(h, agent).post(`/cases/${ref}/reviewed-mail/${note}`, {})).status).toBe(303);
    expect((await caseRow(ref)).status).toBe('open');
  });

  it('is accepted once; a closed case, an entry that is not such a mail, customers and staff who cannot see the case are refused, and nothing is recorded', async () => {
    const { ref, agent, note } = await world();
    const desk = signedIn(h, agent);
    // Customers: not theirs to accept (staff pages only).
    const customer = await caseRow(ref);
    const portal = await signedIn(h, { type: 'customer', id: customer.customerId }).post(`/cases/${ref}/reviewed-mail/${note}`, {});
    expect([403, 404]).toContain(portal.status);
    // An agent of another queue does not see the case.
    const other = h.agent({ name: 'Oscar', queues: ['advanced'] });
    expect((await signedIn(h, other).post(`/cases/${ref}/reviewed-mail/${note}`, {})).status).toBe(404);
    // Not a mail held for review: the case.created entry.
    const created = (await events(ref, 'case.created'))[0]!.id;
    expect((await desk.post(`/cases/${ref}/reviewed-mail/${created}`, {})).status).toBe(404);
    // No CSRF token: refused.
    expect((await desk.post(`/cases/${ref}/reviewed-mail/${note}`, {}, { csrf: false })).status).toBe(403);
    expect(await events(ref, 'customer.replied')).toHaveLength(0);

    expect((await desk.post(`/cases/${ref}/reviewed-mail/${note}`, {})).status).toBe(303);
    const again = await desk.post(`/cases/${ref}/reviewed-mail/${note}`, {});
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('was already posted as the customer');
    expect(await events(ref, 'customer.replied')).toHaveLength(1);
    expect(await events(ref, 'email.accepted')).toHaveLength(1);
  });

  it('on a closed case is refused with what to do instead, and the page offers nothing', async () => {
    const { ref, agent, note } = await world();
    const id = parseCaseRef(ref)!;
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Refunded.' }, agent);
    await transitionCase(h.services, id, { transition: 'close' }, agent);
    const desk = signedIn(h, agent);
    expect(await (await desk.get(`/cases/${ref}`)).text()).not.toContain(`/reviewed-mail/${note}`);
    const res = await desk.post(`/cases/${ref}/reviewed-mail/${note}`, {});
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('is closed: a customer message cannot be added to it');
    expect(await events(ref, 'customer.replied')).toHaveLength(0);
    expect(await events(ref, 'email.accepted')).toHaveLength(0);
  });
});

describe('the API', () => {
  it('POST /api/v1/cases/:id/reviewed-mail/:note posts it as the customer’s message, as the page does; refusals as problem+json', async () => {
    const { ref, agent, note } = await world();
    const token = h.tokenFor(agent);
    const customer = await caseRow(ref);
    // Customers may not; a note id that is not such a mail is 404; a body with anything else is 422.
    expect((await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/${note}`, { token: h.tokenFor({ type: 'customer', id: customer.customerId }), body: {} })).status).toBe(403);
    expect((await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/999999`, { token, body: {} })).status).toBe(404);
    expect((await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/x1`, { token, body: {} })).status).toBe(404);
    expect((await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/${note}`, { token, body: { copy: 'yes' } })).status).toBe(422);
    expect(await events(ref, 'customer.replied')).toHaveLength(0);

    const res = await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/${note}`, { token, body: { copy: true } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(ref);
    expect((await events(ref, 'customer.replied'))[0]!.data).toMatchObject({ body: 'From my work address: the statement is attached.', from: 'chloe.martin@acme.example' });
    expect((await events(ref, 'email.accepted'))[0]!.data).toMatchObject({ note, copied: true });
    const again = await h.api('POST', `/api/v1/cases/${ref}/reviewed-mail/${note}`, { token, body: {} });
    expect(again.status).toBe(409);
    expect(again.headers.get('Content-Type')).toContain('application/problem+json');
  });
});
