/** What staff and the customer see of email entries on the case page (rendered as text, staff-only parts hidden). */
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { emailHarness, fixture, postMail, signedIn } from './support.js';

let h: Harness;
afterEach(() => h?.close());

describe('email entries on the case page', () => {
  it('staff see the mail, the review note and the bounce as text; the customer sees none of the staff-only entries', async () => {
    h = emailHarness();
    const manager = h.agent({ role: 'manager', name: 'Maria' });
    const { body } = await postMail(h, fixture('new-request.eml'));
    const ref = body.case!;
    const spoof = fixture('spoofed-subject.eml', { REF: ref }).toString('latin1').replace('Please change', '<script>alert(1)</script> Please change');
    expect((await postMail(h, spoof)).body.reason).toBe('review');
    expect((await postMail(h, fixture('bounce-dsn.eml', { REF: ref }))).body.reason).toBe('bounce');

    const staffPage = await (await signedIn(h, manager).get(`/cases/${ref}`)).text();
    expect(staffPage).toContain('Received by email from chloe@example.com, copied: bob@example.com');
    expect(staffPage).toContain('invoice-2026-03.pdf');
    expect(staffPage).toContain('Mail from mallory@evil.example, for review');
    expect(staffPage).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Please change');
    expect(staffPage).not.toContain('<script>alert(1)');
    // The entry names the address that failed (from the DSN's Final-Recipient).
    expect(staffPage).toContain('Mail delivery failed to chloe@example.com (bounce from mailer-daemon@mx.example.com)');
    expect(staffPage).not.toContain('Mail delivery delayed');

    // A delay report (Exchange's "Delivery delayed", Gmail's "Message not delivered yet"): the server keeps trying, nothing failed yet.
    const delayed = fixture('bounce-dsn.eml', { REF: ref })
      .toString('latin1')
      .replace('<20260302101500.ABC123@mx.example.com>', '<20260302141500.DEF456@mx.example.com>')
      .replace('Action: failed\r\nStatus: 5.1.1', 'Action: delayed\r\nStatus: 4.4.7')
      .replace('Subject: Undelivered Mail Returned to Sender', 'Subject: Delayed Mail (still being retried)');
    expect((await postMail(h, delayed)).body.reason).toBe('bounce');
    const pageAfter = await (await signedIn(h, manager).get(`/cases/${ref}`)).text();
    expect(pageAfter).toContain('Mail delivery delayed to chloe@example.com: the mail server keeps trying (report from mailer-daemon@mx.example.com)');
    expect(pageAfter.match(/Mail delivery failed/g)).toHaveLength(1);

    // A reply to the customer and a copy: only the copy bounced. The entry says so, not that the customer's mail failed.
    const copyFailed = fixture('bounce-dsn.eml', { REF: ref })
      .toString('latin1')
      .replace('<20260302101500.ABC123@mx.example.com>', '<20260302151500.GHI789@mx.example.com>')
      .replace(
        'Final-Recipient: rfc822; chloe@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n',
        'Final-Recipient: rfc822; chloe@example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\nFinal-Recipient: rfc822;<Bob.Old@Example.com>\r\nOriginal-Recipient: rfc822;bob.old@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n',
      );
    expect(copyFailed).toContain('Bob.Old');
    expect((await postMail(h, copyFailed)).body.reason).toBe('bounce');
    const pageLast = await (await signedIn(h, manager).get(`/cases/${ref}`)).text();
    expect(pageLast).toContain('Mail delivery failed to bob.old@example.com (bounce from mailer-daemon@mx.example.com)');
    expect(pageLast.match(/Mail delivery failed to chloe@example\.com/g)).toHaveLength(1);

    const c = (await h.get<{ customer_id: number }>('SELECT customer_id FROM cases WHERE id = ?', Number(ref.slice(2))))!;
    const customerPage = await (await signedIn(h, { type: 'customer', id: c.customer_id }).get(`/cases/${ref}`)).text();
    expect(customerPage).not.toContain('mallory');
    expect(customerPage).not.toContain('Mail delivery failed');
    expect(customerPage).not.toContain('Received by email');
  });
});
