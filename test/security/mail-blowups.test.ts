/**
 * A mail sender against the server's one thread: mails whose text, headers or file names are
 * built to make a backtracking regex try every split of a long run (`@a.a.a.a…` above a quote,
 * a forwarded From line of `@`s, a From header of `@`s on a mail too large to parse, a file name
 * of `. . . .`), or the HTML parser to walk ever deeper (an HTML-only mail of unclosed `<div>`s). Each took from seconds to hours of CPU before (every other request waited);
 * each is now handled at once. Through the real inbound API, on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import type { Harness } from '../support/harness.js';
import { emailHarness, eventsOf, postMail } from '../email/support.js';

let h: Harness;
beforeEach(() => {
  h = emailHarness({ maxBytes: 1_000_000, ratePerSender: { count: 0, windowMs: 1 } });
  h.agent({ name: 'Agent Ada', email: 'ada@example.com' });
});
afterEach(() => h.close());

let n = 0;
function mail(headers: Record<string, string>, body: string): Buffer {
  const all: Record<string, string> = { From: 'Chloe Martin <chloe@example.com>', To: 'support@example.com', Subject: 'Where is my order?', 'Message-ID': `<blowup-${++n}@example.com>`, 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', ...headers };
  return Buffer.from(`${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}\r\n`);
}

/** Posts the mail and answers how long the server took. */
async function timed(raw: Buffer) {
  const started = performance.now();
  const posted = await postMail(h, raw);
  return { ...posted, ms: performance.now() - started };
}

describe('mail built to make a regex backtrack', () => {
  it('a reply whose last line above the quote is a long run of dots after an @ is cut at once', async () => {
    const opened = await postMail(h, mail({}, 'My order has not arrived.'));
    const ref = opened.body.case!;
    const reply = await timed(mail({ Subject: `Re: [${ref}] Where is my order?` }, `Any news?\n@${'a.'.repeat(4_000)}\n> Your order is on its way.`));
    expect(reply.body).toMatchObject({ result: 'appended', case: ref });
    expect(reply.ms).toBeLessThan(5_000);
    const [replied] = await eventsOf(h, parseCaseRef(ref)!, 'customer.replied');
    expect(String(replied!.data.body)).toMatch(/^Any news\?\n@a\.a\./);
  });

  it('a forward from a staff address whose forwarded From line is a long run of @s is refused at once', async () => {
    const forward = await timed(mail({ From: 'Agent Ada <ada@example.com>', Subject: 'Fwd: refund' }, `Please help.\n\n---------- Forwarded message ---------\nFrom: ${'@'.repeat(3_000)}\nDate: Mon, 2 Mar 2026\n\nRefund me.`));
    expect(forward.body).toMatchObject({ result: 'ignored', reason: 'staff-sender' });
    expect(forward.ms).toBeLessThan(5_000);
  });

  it('a mail too large to parse whose From header is a long run of @s is logged at once', async () => {
    const big = mail({ From: `<${'@'.repeat(60_000)}` }, 'x'.repeat(1_010_000));
    const posted = await timed(big);
    expect(posted.body).toMatchObject({ result: 'ignored', reason: 'too-large' });
    expect(posted.ms).toBeLessThan(5_000);
  });

  it('an HTML-only mail of 150,000 unclosed <div>s opens its case at once, its text not converted', async () => {
    const posted = await timed(mail({ 'Content-Type': 'text/html; charset=utf-8' }, `${'<div>'.repeat(150_000)}Refund me`));
    expect(posted.body).toMatchObject({ result: 'created' });
    expect(posted.ms).toBeLessThan(5_000);
  });

  it('a mail of 45,000 parts whose Latin-1 headers never end is read at once (raw-headers.ts looks at a bounded number of parts, each within a bounded window)', async () => {
    const raw = Buffer.from(
      'From: Chloe Martin <chloe@example.com>\r\nTo: support@example.com\r\nSubject: Gr\xfc\xdfe aus K\xf6ln\r\nMessage-ID: <blowup-latin1@example.com>\r\nMIME-Version: 1.0\r\n' +
        `Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n${'--b\r\nX-Name: Gr\xfc\xdfe\r\n'.repeat(45_000)}`,
      'latin1',
    );
    const posted = await timed(raw);
    // mailparser makes nothing of such a mail (malformed); what counts is that the headers' reading held nothing up.
    expect(posted.status).toBe(202);
    expect(posted.ms).toBeLessThan(5_000);
    // Up to the limit, part headers are read as Latin-1, and the mail's own always.
    const ended = Buffer.concat([raw, Buffer.from('\r\n\r\nend\r\n--b--\r\n')]).subarray(0, 4_000);
    const cut = Buffer.concat([ended.subarray(0, ended.lastIndexOf('--b\r\n')), Buffer.from('--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="K\xf6ln.txt"\r\n\r\nhi\r\n--b--\r\n', 'latin1')]);
    const small = await timed(Buffer.from(cut.toString('latin1').replace('blowup-latin1@', 'blowup-latin1-small@'), 'latin1'));
    expect(small.body).toMatchObject({ result: 'created' });
    const [c] = await h.query((q) => q.db.select().from(q.tables.cases));
    expect(c!.subject).toBe('Grüße aus Köln');
    expect((await h.query((q) => q.db.select().from(q.tables.attachments))).map((f) => f.fileName)).toContain('Köln.txt');
  });

  it('an attachment whose name is a long run of dots and spaces is stored under a clipped name at once', async () => {
    const name = `invoice${' .'.repeat(30_000)}x`;
    const body = ['--b', 'Content-Type: text/plain; charset=utf-8', '', 'See the file.', '--b', `Content-Type: text/plain; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, '', 'hello', '--b--'].join('\r\n');
    const posted = await timed(mail({ 'Content-Type': 'multipart/mixed; boundary="b"' }, body));
    expect(posted.body).toMatchObject({ result: 'created' });
    expect(posted.ms).toBeLessThan(5_000);
    const files = await h.query((q) => q.db.select().from(q.tables.attachments));
    expect(files.map((f) => f.fileName)).toContainEqual(expect.stringMatching(/^invoice \. \. /));
  });
});
