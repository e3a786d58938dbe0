import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { DEMO_PROBLEMS } from '../seed/seed-demo.js';
import { porterStem } from './porter.js';

/** FTS5's own tokens for `words` (one ASCII word each), with the problem index's tokenizer. */
function fts5Tokens(words: readonly string[]): string[] {
  const db = new Database(':memory:');
  try {
    db.exec("CREATE VIRTUAL TABLE w USING fts5(t, tokenize='porter unicode61 remove_diacritics 2')");
    db.exec('CREATE VIRTUAL TABLE v USING fts5vocab(w, instance)');
    db.prepare('INSERT INTO w (t) VALUES (?)').run(words.join(' '));
    return (db.prepare('SELECT term FROM v ORDER BY "offset"').all() as { term: string }[]).map((r) => r.term);
  } finally {
    db.close();
  }
}

/** Words from the repository's prose and the demo library, and every rule suffix on a few stems. */
function wordList(): string[] {
  const text = [
    fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
    ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8')),
    ...DEMO_PROBLEMS.map((p) => `${p.title} ${p.symptoms} ${p.synonyms ?? ''} ${p.solution}`),
  ].join(' ');
  const words = new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const suffixes = ['s', 'es', 'ies', 'ss', 'sses', 'ed', 'eed', 'ing', 'at', 'bl', 'iz', 'y', 'ational', 'tional', 'enci', 'anci', 'izer', 'logi', 'bli',
    'alli', 'entli', 'eli', 'ousli', 'ization', 'ation', 'ator', 'alism', 'iveness', 'fulness', 'ousness', 'aliti', 'iviti', 'biliti', 'ical', 'ness',
    'icate', 'iciti', 'ful', 'ative', 'alize', 'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ion', 'sion', 'tion',
    'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'e', 'll', 'le', 'ying', 'ied', 'hop', 'fil', 'fail', 'tr', 'cr'];
  const stems = ['', 'a', 'b', 'y', 'by', 'tr', 'hop', 'cat', 'fail', 'agre', 'conn', 'formal', 'sens', 'relat', 'rat', 'gener', 'electr', 'adopt', 'oscill', 'happ', 'controll', 'roll'];
  for (const stem of stems) for (const suffix of suffixes) if ((stem + suffix).length > 0) words.add(stem + suffix);
  return [...words];
}

describe('porterStem', () => {
  it('stems exactly as FTS5 stems, word for word', () => {
    const words = wordList();
    expect(words.length).toBeGreaterThan(3000);
    const expected = fts5Tokens(words);
    expect(expected).toHaveLength(words.length);
    const differences = words.map((w, i) => [w, porterStem(w), expected[i]]).filter(([, ours, theirs]) => ours !== theirs);
    expect(differences).toEqual([]);
    expect(words.filter((w) => porterStem(w) !== w).length).toBeGreaterThan(1500); // the rules do apply
  });

  it('stems random ASCII words exactly as FTS5 does', () => {
    const letter = fc.constantFrom(...'aeiouy', ...'bcdlmnrstvwxz', ...'aeiouy');
    const ending = fc.constantFrom('', 's', 'es', 'ed', 'ing', 'ly', 'ness', 'tion', 'ement', 'ate', 'ize', 'al', 'e', 'll', 'y', 'ies', 'eed', 'ous');
    const word = fc.tuple(fc.array(letter, { minLength: 1, maxLength: 12 }), ending).map(([ls, e]) => ls.join('') + e);
    const words = fc.sample(word, { numRuns: 5000, seed: 42 });
    const expected = fts5Tokens(words);
    expect(words.map((w, i) => [w, porterStem(w), expected[i]]).filter(([, ours, theirs]) => ours !== theirs)).toEqual([]);
  });
});
