/**
 * sendMessage: a message and a transition in one transaction (all or nothing), and mentions
 * in internal notes: `staff.mentioned` on the staff timeline, a mail to each colleague who may
 * see the case (real SMTP), nothing for anyone else and nothing ever for the customer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { customerTimeline, loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { sendMessage } from '../../src/cases/send-message.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { SYSTEM_ACTOR } from '../../src/roles.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

let smtp: Inbox;
let mailer: Mailer;
let h: Harness;
let alice: TestActor;
let bob: TestActor;
let dana: TestActor;
let maria: TestActor;
let id: number;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer, publicUrl: 'https://help.example.com' } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', email: 'alice@casebook.test', queues: ['general'] });
  bob = h.agent({ name: 'Bob Baker', email: 'bob@casebook.test', queues: ['general'], available: false });
  dana = h.agent({ name: 'Dana Diaz', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'] });
  maria = h.agent({ name: 'Maria Manager', email: 'maria@casebook.test', role: 'manager' });
  h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  id = (await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Workspace rename', description: 'How do I rename my workspace?' }, SYSTEM_ACTOR)).id;
  expect(await loadCase(h.services, id)).toMatchObject({ status: 'open', assigneeId: alice.id });
});
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

const types = async () => (await timeline(h.services, id)).map((e) => e.type);

describe('a message and a transition in one transaction', async () => {
  it('replies and waits on the customer', async () => {
    const sent = await sendMessage(h.services, id, { body: 'Which plan are you on?', transition: 'waitOnCustomer' }, alice);
    expect(sent).toMatchObject({ transition: 'waitOnCustomer', case: { status: 'pending' } });
    const entries = await timeline(h.services, id);
    const reply = entries.findIndex((e) => e.type === 'staff.replied');
    const moved = entries.findIndex((e) => e.type === 'case.transitioned' && e.data.to === 'pending');
    expect(reply).toBeGreaterThan(-1);
    expect(moved).toBeGreaterThan(reply);
    // One version for both: one save.
    expect((await loadCase(h.services, id)).firstResponseAt).not.toBeNull();
  });

  it('resolves with the public reply as the solution', async () => {
    await sendMessage(h.services, id, { body: 'Settings → Workspace → Rename.', transition: 'resolve' }, alice);
    expect(await loadCase(h.services, id)).toMatchObject({ status: 'resolved', solution: 'Settings → Workspace → Rename.' });
  });

  it('keeps nothing when the transition is refused: a note cannot be the solution, a reason is missing, not possible now', async () => {
    const before = await loadCase(h.services, id);
    const count = (await types()).length;
    await expect(sendMessage(h.services, id, { body: 'internal', public: false, transition: 'resolve' }, alice)).rejects.toThrow(expect.objectContaining({ code: 'TRANSITION_REQUIREMENT_MISSING' }));
    await expect(sendMessage(h.services, id, { body: 'over to tier 2', transition: 'escalate' }, alice)).rejects.toThrow(expect.objectContaining({ code: 'TRANSITION_REQUIREMENT_MISSING' }));
    await expect(sendMessage(h.services, id, { body: 'back to work', transition: 'resume' }, alice)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
    await expect(sendMessage(h.services, id, { body: 'customer only', transition: 'markSolved' }, alice)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
    expect(await types()).toHaveLength(count);
    expect(await loadCase(h.services, id)).toMatchObject({ status: 'open', version: before.version, firstResponseAt: null });
    expect(await h.get("SELECT count(*) AS n FROM outbox WHERE type = 'email.reply'")).toEqual({ n: 0 });
  });
});

describe('mentions in internal notes', () => {
  it('notifies colleagues who may see the case, by mail, and names those who may not', async () => {
    const sent = await sendMessage(h.services, id, { body: 'Ask @bob and @Maria, maybe @dana.diaz — not @nobody, not alice@casebook.test. @alice is me.', public: false }, alice);
    expect(sent.mentions.notified.map((m) => m.name)).toEqual(['Bob Baker', 'Maria Manager']);
    expect(sent.mentions.cannotSee.map((m) => m.name)).toEqual(['Dana Diaz']);
    expect(sent.mentions.unknown).toEqual(['nobody']);
    const entry = (await timeline(h.services, id)).find((e) => e.type === 'staff.mentioned')!;
    const note = (await timeline(h.services, id)).find((e) => e.type === 'staff.noted')!;
    expect(entry.actor.name).toBe('Alice Archer');
    expect(entry.data).toEqual({
      note: note.id,
      mentioned: [
        { id: bob.id, name: 'Bob Baker' },
        { id: maria.id, name: 'Maria Manager' },
      ],
      notNotified: [{ id: dana.id, name: 'Dana Diaz' }],
      reason: 'cannot see this case',
    });

    await h.services.outbox.drain();
    const mails = smtp.messages.filter((m) => m.mail.subject?.includes('mentioned you'));
    expect(mails.map((m) => m.to).sort()).toEqual([['bob@casebook.test'], ['maria@casebook.test']]);
    expect(mails[0]!.mail.subject).toBe(`[C-${id}] Alice Archer mentioned you: Workspace rename`);
    expect(mails[0]!.mail.text).toContain('Ask @bob and @Maria');
    expect(mails[0]!.mail.text).toContain(`https://help.example.com/cases/C-${id}`);
    expect(smtp.messages.some((m) => m.to.includes('chloe@example.com') || m.to.includes('dana@casebook.test'))).toBe(false);
    const sentEntries = (await timeline(h.services, id)).filter((e) => e.type === 'notification.sent' && e.data.template === 'staff-mentioned');
    expect(sentEntries.map((e) => e.data.delivered)).toEqual([true, true]);

    // The customer sees none of it.
    const customer = JSON.stringify(await customerTimeline(h.services, await loadCase(h.services, id)));
    for (const secret of ['Ask @bob', 'mentioned', 'Bob Baker', 'Maria']) expect(customer).not.toContain(secret);
  });

  it('finds colleagues by names in other scripts: Devanagari vowel signs are part of the name', async () => {
    h.agent({ name: 'प्रिया शर्मा', email: 'priya@casebook.test', queues: ['general'] });
    h.agent({ name: 'प्रीति कमल', email: 'preeti@casebook.test', queues: ['general'] });
    h.agent({ name: 'José Ñúñez', email: 'jnunez@casebook.test', queues: ['general'] });
    const sent = await sendMessage(h.services, id, { body: '@प्रिया देखो, @प्रीतिकमल भी। @jose too', public: false }, alice);
    expect(sent.mentions.notified.map((m) => m.name).sort()).toEqual(['José Ñúñez', 'प्रिया शर्मा', 'प्रीति कमल']);
    expect(sent.mentions.unknown).toEqual([]);
    // Without vowel signs it is another name, not a match.
    expect((await sendMessage(h.services, id, { body: '@परय', public: false }, alice)).mentions).toMatchObject({ notified: [], unknown: ['परय'] });
  });

  it('a colleague who can no longer see the case when the mail goes out is not mailed', async () => {
    await sendMessage(h.services, id, { body: '@bob please check', public: false }, alice);
    await reassignCase(h.services, id, { queue: 'technical' }, maria);
    await h.services.outbox.drain();
    expect(smtp.messages.filter((m) => m.to.includes('bob@casebook.test'))).toEqual([]);
    const outcome = (await timeline(h.services, id)).find((e) => e.type === 'notification.sent' && e.data.template === 'staff-mentioned')!;
    expect(outcome.data).toMatchObject({ delivered: false, reason: 'cannot see this case any more', staffId: bob.id });
  });

  it('only internal notes by staff mention anyone: not a public reply, not a mail filed for review', async () => {
    await sendMessage(h.services, id, { body: 'Thanks! @bob will follow up.' }, alice);
    await addMessage(h.services, id, { body: '@bob look at this', public: false }, SYSTEM_ACTOR, { data: { review: true, from: 'x@example.org' } });
    await h.services.outbox.drain();
    expect(await types()).not.toContain('staff.mentioned');
    expect(smtp.messages.filter((m) => m.to.includes('bob@casebook.test'))).toEqual([]);
  });
});
