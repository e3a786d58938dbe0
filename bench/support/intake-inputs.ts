/** The subjects and descriptions the intake benchmarks send, in turn. */
export const INTAKE_INPUTS: [string, string][] = [
  ['Refund for a double charge', 'My card was charged twice for the March invoice, please refund.'],
  ['Login error after the update', 'I get error 500 when I try to sign in since this morning.'],
  ['How do I export my data?', 'Where do I find the CSV export of all our records?'],
  ['Calendar not syncing', 'Events from Google calendar are missing, the sync stopped yesterday.'],
  ['Change our plan', 'We would like to downgrade to the smaller plan next month.'],
];

/** Sentences a support mail is made of, with the frequent words of English ("the" ~1 word in 15). */
const SENTENCES = [
  'I am writing to you again because the problem we reported last week is still not solved.',
  'We have tried everything that was suggested in the help article, but the export still fails at the same point.',
  'Our team uses the dashboard every morning to check the orders that came in during the night.',
  'Since the update on Tuesday the page takes more than a minute to load, and sometimes it does not load at all.',
  'Could you please check the account and tell us what is going on with the invoices for the last two months?',
  'The customer who called us yesterday said that the confirmation mail never arrived in their inbox.',
  'I have attached the screenshots and the log file that our administrator collected from the server.',
  'It would help us a lot if you could call me back this afternoon, as the quarter closes on Friday.',
  'We are a small company and this is the tool that the whole sales team depends on to do their work.',
  'Thank you for the quick answer last time; the workaround helped for a few days, but now the error is back.',
  'The numbers in the report do not match the numbers in the invoice, and our accountant needs them to match.',
  'When we open the settings page and save the form, the changes are lost after we sign out and sign in again.',
];

/** A support mail of about `bytes` characters: a greeting, paragraphs, a signature and the quoted mail it answers. */
export function supportMail(bytes: number, seed: number): string {
  const lines: string[] = ['Hello support team,', ''];
  let size = 0;
  let x = seed;
  // A linear congruential sequence, its high bits: every sentence, in an order of the seed's.
  const sentence = () => SENTENCES[((x = (x * 1103515245 + 12345) % 2 ** 31) >>> 16) % SENTENCES.length]!;
  while (size < bytes * 0.6) {
    const paragraph = Array.from({ length: 3 }, sentence).join(' ');
    lines.push(paragraph, '');
    size += paragraph.length + 1;
  }
  lines.push('Best regards,', 'Jordan Miller', 'Operations, Northwind Traders', '', 'On Mon, 30 Nov 2026 at 09:12, Casebook Support wrote:');
  while (size < bytes) {
    const quoted = `> ${sentence()}`;
    lines.push(quoted);
    size += quoted.length + 1;
  }
  return lines.join('\n');
}

/** INTAKE_INPUTS with descriptions that are support mails of about `bytes` characters (as mail intake receives them). */
export function longIntakeInputs(bytes: number): [string, string][] {
  return INTAKE_INPUTS.map(([subject, description], i) => [subject, `${description}\n\n${supportMail(bytes, i + 1)}`]);
}
