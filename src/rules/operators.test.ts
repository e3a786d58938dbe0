/**
 * The word operators, table-driven, through json-rules-engine (the production engine)
 * and through the compiled fast path: both must answer the same for every row.
 */
import { describe, expect, it } from 'vitest';
import { compileFast } from './compile.js';
import type { RulesetDefinition } from './definition.js';
import { compileRuleset } from './engine.js';
import { stemWord, textWords } from './words.js';

function ruleset(operator: string, value: unknown): RulesetDefinition {
  return {
    ruleset: 'words',
    rules: [{ name: 'hit', conditions: { all: [{ fact: 'case', path: '$.subject', operator, value }] }, event: { type: 'addTags', params: { tags: ['hit'] } } }],
  };
}

async function both(operator: string, value: unknown, subject: unknown): Promise<boolean> {
  const def = ruleset(operator, value);
  const facts = { case: { subject } };
  const { results } = await compileRuleset(def, 1).engine.run({ ...facts });
  const viaEngine = results.length === 1;
  const viaCompiled = compileFast(def, 1).fired(facts).length === 1;
  expect(viaCompiled).toBe(viaEngine);
  return viaEngine;
}

describe('textHasWord', () => {
  it.each([
    ['How do I download my receipt?', 'down', false],
    ['The site is down', 'down', true],
    ['Down since 9am', 'down', true],
    ['Rapid growth plan', 'api', false],
    ['API returns 401', 'api', true],
    ['The api-key is rejected', 'api', true],
    ['Two charges on my card', 'charge', true],
    ['I was charged twice', 'charge', true],
    ['Charging failed', 'charges', true],
    ['Discharge summary', 'charge', false],
    ['Invoices are missing', 'invoice', true],
    ['REFUND please', 'refund', true],
    ['Ça ne marche pas: la facture est fausse', 'ca', true],
    ['Probleme de facture', 'problème', true],
    ['Problème de facture', 'PROBLEME', true],
    ['Sync replies stopped', 'reply', true],
    ['Notification settings are gone', 'setting', true],
    ['The string is too long', 'strings', true],
    ['Logging in fails', 'log in', true],
    ['I cannot log into it', 'log in', false],
    ['Login fails', 'log in', false],
    ['log', 'log in', false],
    ['I was charged twice this month', 'charged twice', true],
    ['charged, twice!', 'charged twice', true],
    ['Twice charged', 'charged twice', false],
    // Doubled consonants, -ed/-ing on words ending in "e", and short words that must stay apart.
    ['I cancelled my plan yesterday', 'cancel', true],
    ['Cancelling my account', 'cancel', true],
    ['Canceled order', 'cancel', true],
    ['The parcel was labelled wrong', 'label', true],
    ['I added a new user', 'ad', false],
    ['Adding a teammate fails', 'ad', false],
    ['Adding a teammate fails', 'add', true],
    ['Your ads are everywhere', 'ads', true],
    ['The ad is wrong', 'ad', true],
    ['We agreed on a refund', 'agree', true],
    ['Agreeing to the terms fails', 'agree', true],
    ['Seats freed after the move', 'free', true],
    ['The free plan', 'freed', true],
    ['The account is tied to my old email', 'tie', true],
    ['It used to work', 'use', true],
    ['Using the API', 'use', true],
    ['The analyses are wrong', 'analysis', true],
    ['Please note the change', 'not', false],
    ['It is not working', 'note', false],
    ['Customer care', 'car', false],
    ['Come here', 'her', false],
    ['The site is slow', 'sit', false],
    ['Sizes are wrong', 'size', true],
    ['Two cases', 'case', true],
    ['I hoped it would work', 'hope', true],
    ['The app was installed', 'install', true],
    ['My bill is wrong', 'billing', true],
    ['Fees are too high', 'feed', false],
    ['Error 500 everywhere', '500', true],
    ['Error 5000', '500', false],
    ['', 'down', false],
    // Other scripts: Chinese and Japanese have no spaces (a word is found inside a run), Hindi
    // keeps its vowel signs (काम "work" is not कम "less"), Arabic folds its vowel marks and hamza,
    // German "ß" is "ss" as in its capitals.
    ['我要退款，谢谢', '退款', true],
    ['退款', '退款', true],
    ['我要退货', '退款', false],
    ['請求書が届きません', '請求書', true],
    ['मुझे काम चाहिए', 'काम', true],
    ['कम पैसे', 'काम', false],
    ['पैसे कम हैं', 'कम', true],
    ['مشكلة في الدَّفْع!', 'الدفع', true],
    ['أريد استرداد المبلغ', 'اريد', true],
    ['STRASSE gesperrt', 'Straße', true],
    ['Die Straße ist gesperrt', 'strasse', true],
    ['Rückerstattung bitte', 'ruckerstattung', true],
  ])('%j has the word %j: %s', async (subject, word, expected) => {
    expect(await both('textHasWord', word, subject)).toBe(expected);
  });

  it('is false for non-text facts and values without words', async () => {
    expect(await both('textHasWord', 'down', null)).toBe(false);
    expect(await both('textHasWord', 'down', ['down'])).toBe(false);
    expect(await both('textHasWord', '!!!', 'down !!!')).toBe(false);
    expect(await both('textHasWord', 7, 'error 7')).toBe(true);
  });
});

describe('words ending in "s" that are not plurals', () => {
  it.each([
    ['Is there any news on my refund?', 'new', false],
    ['A new card was issued', 'news', false],
    ['Any news?', 'news', true],
    ['The camera lens is scratched', 'lens', true],
    ['Both lenses are scratched', 'lens', true],
    ['The new series of invoices', 'series', true],
  ])('%j has the word %j: %s', async (subject, word, expected) => {
    expect(await both('textHasWord', word, subject)).toBe(expected);
  });
});

describe('textHasAnyWord', () => {
  it.each([
    ['How do I download my receipt?', ['outage', 'down', 'data loss'], false],
    ['Production down', ['outage', 'down', 'data loss'], true],
    ['We had DATA LOSS', ['outage', 'down', 'data loss'], true],
    ['Rapid growth plan', ['error', 'api', 'sync'], false],
    ['Calendar syncing stopped', ['error', 'api', 'sync'], true],
    ['Crashes on start', ['crash'], true],
    ['Payments failed', ['payment failed'], true],
    ['Anything', [], false],
  ])('%j has any of the words %j: %s', async (subject, words, expected) => {
    expect(await both('textHasAnyWord', words, subject)).toBe(expected);
  });

  it('is false when the value is not an array', async () => {
    expect(await both('textHasAnyWord', 'down', 'down')).toBe(false);
  });
});

describe('textContains', () => {
  it.each([
    ['Refund for invoice 42', 'INVOICE', true],
    ['REFUND please', 'refund', true],
    ['Lieferung in die STRASSE 5', 'straße', true],
    ['Lieferung in die Straße 5', 'STRASSE', true],
    ['Lieferung in die Straße 5', 'strasse', true],
    ['Lieferung in die GROẞE Halle', 'große', true],
    ['Πρόβλημα στην ΟΔΟΣΗΜΑΝΣΗ', 'οδος', true],
    ['Η ΟΔΟΣ είναι κλειστή', 'οδοσ', true],
    ['Straße', 'strasze', false],
    ['Invoice', 'invoices', false],
  ])('%j contains %j: %s', async (subject, value, expected) => {
    expect(await both('textContains', value, subject)).toBe(expected);
  });

  it('does not depend on the server\'s locale: "I" is "i", also where the locale is Turkish', async () => {
    const toLocaleLowerCase = String.prototype.toLocaleLowerCase;
    String.prototype.toLocaleLowerCase = function (this: string) {
      return toLocaleLowerCase.call(this, 'tr');
    };
    try {
      expect(await both('textContains', 'invoice', 'INVOICE 7 is wrong')).toBe(true);
    } finally {
      String.prototype.toLocaleLowerCase = toLocaleLowerCase;
    }
  });
});

describe('textContainsAny', () => {
  it.each([
    ['Versand in die STRASSE', ['paket', 'straße'], true],
    ['Nothing here', ['paket', 'straße'], false],
  ])('%j contains any of %j: %s', async (subject, values, expected) => {
    expect(await both('textContainsAny', values, subject)).toBe(expected);
  });
});

describe('word folding', () => {
  it.each([
    ['charges', 'charg'],
    ['charged', 'charg'],
    ['charging', 'charg'],
    ['charge', 'charg'],
    ['replies', 'reply'],
    ['replied', 'reply'],
    ['logged', 'log'],
    ['logging', 'log'],
    ['billing', 'bill'],
    ['boxes', 'box'],
    ['crashes', 'crash'],
    ['processes', 'process'],
    ['status', 'status'],
    ['news', 'news'],
    ['lens', 'lens'],
    ['lenses', 'lens'],
    ['series', 'series'],
    ['aliases', 'alias'],
    ['logos', 'logo'],
    ['down', 'down'],
    ['download', 'download'],
    ['api', 'api'],
    ['500s', '500s'],
    ['strings', 'str'],
    ['string', 'str'],
    ['settings', 'set'],
    ['setting', 'set'],
    ['needs', 'need'],
    ['need', 'need'],
    ['cancelled', 'cancel'],
    ['cancelling', 'cancel'],
    ['cancel', 'cancel'],
    ['added', 'add'],
    ['adding', 'add'],
    ['agree', 'agreed'],
    ['agreed', 'agreed'],
    ['freed', 'freed'],
    ['tied', 'tie'],
    ['tying', 'tie'],
    ['used', 'use'],
    ['using', 'use'],
    ['analysis', 'analys'],
    ['analyses', 'analys'],
    ['note', 'note'],
    ['noted', 'note'],
    ['hopped', 'hop'],
    ['hoping', 'hope'],
    ['glued', 'glue'],
    ['installed', 'instal'],
    ['spelled', 'spell'],
  ])('%s → %s', (word, stem) => {
    expect(stemWord(word)).toBe(stem);
  });

  it('splits on anything that is not a letter or digit, lower-cased, without accents', () => {
    expect(textWords('Ça marche — PAS! e-mail')).toEqual(['ca', 'march', 'pas', 'e', 'mail']);
  });
});
