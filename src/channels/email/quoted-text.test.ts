import { describe, expect, it } from 'vitest';
import { replyText } from './quoted-text.js';

describe('replyText: the new text of a reply', () => {
  it.each([
    ['Gmail', 'Yes, on 1 March.\n\nOn Mon, 2 Mar 2026 at 10:30, Support <support@example.com> wrote:\n> When?\n', 'Yes, on 1 March.'],
    ['Gmail, attribution wrapped', 'Yes.\n\nOn Mon, 2 Mar 2026 at 10:30, Casebook Support <\nsupport@example.com> wrote:\n> When?', 'Yes.'],
    ['Apple Mail', 'Did you get it?\n\nSent from my iPhone\n\n> On 2 Mar 2026, at 13:05, Support <support@example.com> wrote:\n>\n> Send it', 'Did you get it?'],
    ['Apple Mail, attribution unquoted', 'Thanks!\n\nOn 2 Mar 2026, at 13:05, Support <support@example.com> wrote:\n\n> Send it', 'Thanks!'],
    ['Thunderbird', 'Still waiting.\n\nOn 02.03.26 14:00, Casebook Support wrote:\n> Looking into it.\n\n-- \nChloe\nACME', 'Still waiting.'],
    ['Outlook original message', 'Not yet.\n\nKind regards\nChloe\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nHello', 'Not yet.\n\nKind regards\nChloe'],
    ['Outlook From/Sent block', 'Worked.\n\n________________________________\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\nTo: Chloe\n\nRefunded.', 'Worked.'],
    ['Outlook HTML (its <hr> as dashes)', 'Worked.\n\nKind regards\nChloe\n\n' + '-'.repeat(80) + '\n\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\n\nRefunded.', 'Worked.\n\nKind regards\nChloe'],
    ['Outlook From/Sent without a rule', 'Worked.\n\nFrom: Support <s@example.com>\nSent: Monday, 2 March 2026 13:00\nTo: Chloe\nSubject: x\n\nRefunded.', 'Worked.'],
    ['German client', 'Danke.\n\nAm 02.03.2026 um 10:00 schrieb Support <s@example.com>:\n> Hallo', 'Danke.'],
    ['> lines at the end', 'Fine now.\n\n> old text\n> more old text\n', 'Fine now.'],
    ['signature only', 'See you.\n-- \nChloe Martin\n+49 30 1234', 'See you.'],
  ])('%s', (_name, full, expected) => {
    const result = replyText(full);
    expect(result.text).toBe(expected);
    expect(result.cut).toBe(true);
  });

  it('keeps interleaved answers whole (quotes between own text)', () => {
    const full = '> Which invoice?\nThe March one.\n> Which card?\nThe Visa.';
    expect(replyText(full).text).toBe(full);
  });

  it('keeps the whole text when nothing is above the quote', () => {
    const full = 'On Mon, 2 Mar 2026 at 10:30, Support <s@example.com> wrote:\n> When?';
    expect(replyText(full)).toEqual({ text: full, cut: false });
  });

  it('leaves a plain message alone', () => {
    expect(replyText('Just a question about my plan.\nThanks')).toEqual({ text: 'Just a question about my plan.\nThanks', cut: false });
  });
});
