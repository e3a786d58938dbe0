import { describe, expect, it } from 'vitest';
import { isThanksOnly } from './thanks.js';

describe('isThanksOnly', () => {
  it.each([
    'Thanks!',
    'thx',
    'Thank you very much for your quick help 🙏',
    "That's perfect, thanks again!",
    'Works now. Thank you!',
    'Thanks, that did the trick.',
    'Got it, thanks!',
    'Makes sense, thank you',
    'Found it, thanks a lot!',
    'Hi team,\n\nmany thanks for the fast response.\n\nBest regards',
    'Danke schön, funktioniert jetzt!',
    'Muchas gracias',
    'Merci beaucoup',
    'Thanks!\n\n> On Monday you wrote:\n> Could you try again?',
    'Thank you\n-- \nChloe · https://acme.example/contact?ref=mail',
    'Thank you\n-- \nAnything in a signature: call me on 0301234567, what about tomorrow',
  ])('%j is only thanks', (body) => {
    expect(isThanksOnly(body)).toBe(true);
  });

  it.each([
    ['a question', 'Thanks! Is the refund on its way?'],
    ['a question, full-width', 'Thanks！ Works now？'],
    ['a but', 'Thanks, but it still fails'],
    ['a negation', 'Thanks, not fixed yet'],
    ['no thanks', 'No thanks'],
    ['a request', 'Thank you. Please also send the invoice'],
    ['more to say', 'Thanks! One more thing: the export is empty'],
    ['no thanks in it', 'Great, works now'],
    ['only emoji', '👍'],
    ['empty', '  \n '],
    ['more than 20 words', `Thanks ${'so '.repeat(20)}much`],
    ['a name not theirs', 'Thanks, Bob'],
    ['what they got', 'Thanks, got an error again'],
  ])('%s: %j is not', (_, body) => {
    expect(isThanksOnly(body)).toBe(false);
  });

  it('lets the customer sign with their own name (accents and case aside)', () => {
    expect(isThanksOnly('Thanks!\nChloé', ['Chloe Martin'])).toBe(true);
    expect(isThanksOnly('Thanks!\nMARTIN', ['Chloé Martin'])).toBe(true);
    expect(isThanksOnly('Thanks!\nChloe, Acme Ltd', ['Chloe Martin'])).toBe(false);
  });
});
