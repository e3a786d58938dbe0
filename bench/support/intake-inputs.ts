/** The subjects and descriptions the intake benchmarks send, in turn. */
export const INTAKE_INPUTS: [string, string][] = [
  ['Refund for a double charge', 'My card was charged twice for the March invoice, please refund.'],
  ['Login error after the update', 'I get error 500 when I try to sign in since this morning.'],
  ['How do I export my data?', 'Where do I find the CSV export of all our records?'],
  ['Calendar not syncing', 'Events from Google calendar are missing, the sync stopped yesterday.'],
  ['Change our plan', 'We would like to downgrade to the smaller plan next month.'],
];
