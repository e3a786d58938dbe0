/** The pipeline called directly, as the IMAP reader will call it; and the case reference in every mail subject. */
import { afterEach, describe, expect, it } from 'vitest';
import { receiveEmail } from '../../src/channels/email/receive-email.js';
import { renderTemplate, TEMPLATE_NAMES } from '../../src/notifications/templates.js';
import type { Harness } from '../support/harness.js';
import { emailHarness, fixture } from './support.js';

let h: Harness;
afterEach(() => h?.close());

describe('receiveEmail', () => {
  it('records the way in and the mailbox in the channel log', async () => {
    h = emailHarness();
    const outcome = await receiveEmail(h.services, fixture('html-only.eml'), { via: 'imap', mailbox: 'INBOX' });
    expect(outcome).toMatchObject({ result: 'created', case: expect.stringMatching(/^C-\d+$/) });
    expect(await h.query((q) => q.db.select().from(q.tables.inboundMail))).toEqual([expect.objectContaining({ via: 'imap', mailbox: 'INBOX', outcome: 'created', fromAddress: 'hanna@example.org', subject: 'Cannot log in' })]);
  });

  it('an ignored mail is claimed too: delivered again it is a duplicate', async () => {
    h = emailHarness();
    expect(await receiveEmail(h.services, fixture('bulk-newsletter.eml'), { via: 'smtp' })).toEqual({ result: 'ignored', reason: 'auto-reply' });
    expect(await receiveEmail(h.services, fixture('bulk-newsletter.eml'), { via: 'smtp' })).toEqual({ result: 'ignored', reason: 'duplicate' });
  });
});

describe('mail subjects', () => {
  it.each(TEMPLATE_NAMES)('%s carries the case reference', (name) => {
    const message = renderTemplate(name, {
      caseRef: 'C-1042',
      subject: 'Invoice',
      status: 'open',
      queue: 'billing',
      priority: 'normal',
      customerName: 'Chloe',
      reason: null,
      solution: null,
      offer: null,
      url: 'http://localhost/cases/C-1042',
    });
    expect(message.subject).toMatch(/^\[C-1042\] /);
  });
});
