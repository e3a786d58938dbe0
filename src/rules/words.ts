/**
 * Words as the word operators (`textHasWord`, `textHasAnyWord`) see them: text is split
 * into letter/digit runs (each character of Chinese, Japanese or Thai a word of its own),
 * lower-cased, accents removed ("ß" is "ss"), and each word folded to a simple
 * stem so plural and verb endings do not matter ("charges", "charged", "charging" →
 * "charg"; "replies", "replied" → "reply"; "logged" → "log"; "cancelled" → "cancel").
 * Whole words only: "download" is one word and never contains "down".
 *
 * Words of up to three letters are compared as they are, so a longer word must not fold into
 * one of them unless it is that word inflected: "added" is "add", never "ad"; "note" stays
 * "note", never "not"; "used" is "use".
 */

import { foldAccents } from '../text/fold.js';
import { memoizeWord } from '../text/word-memo.js';

const VOWELS = 'aeiouy';
const isVowel = (c: string | undefined): boolean => c !== undefined && VOWELS.includes(c);

/**
 * Where the word's R2 region starts (Porter's): after its second vowel followed by a
 * consonant. "cancell" → 6 (its last "l"), "bill" → 4 (none).
 */
function r2Start(w: string): number {
  let seen = 0;
  for (let i = 1; i < w.length; i++) {
    if (isVowel(w[i - 1]) && !isVowel(w[i]) && ++seen === 2) return i + 1;
  }
  return w.length;
}

/**
 * Words ending in "s" that are not plurals of a shorter word (or are their own plural): without
 * them "news" would be "new", "lens" "len", "series" "sery", "canvas" "canva". Their plurals in
 * "-es" fold to them ("lenses" → "lens", "aliases" → "alias").
 */
const NOT_PLURAL = new Set(['news', 'lens', 'series', 'species', 'canvas', 'alias', 'bias', 'atlas', 'chaos', 'kudos', 'pathos', 'ethos', 'cosmos']);

/** A plural ending: "charges" → "charge", "replies" → "reply", "boxes" → "box", "analyses" and "analysis" → "analys". */
function singular(w: string): string {
  if (NOT_PLURAL.has(w)) return w;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('ies')) return w.length > 4 ? `${w.slice(0, -3)}y` : w.slice(0, -1); // "ties" is "tie"
  if (w.length > 4 && /(?:x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  // "-sis" folds as its plural "-ses" does (and the verb "-se"): analysis, analyses, analyse.
  if (w.length >= 6 && w.endsWith('sis')) return w.slice(0, -2);
  // "cases", "sizes": "case", "size" (a final "e" is handled with the verbs).
  if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}

/** A verb ending (-ed, -ing): "charged" → "charg", "hoped" → "hope", "logged" → "log", "used" → "use". */
function verbStem(w: string): string {
  if (w.endsWith('ied')) return w.length > 4 ? `${w.slice(0, -3)}y` : w.slice(0, -1); // replied → reply; tied → tie
  // Short words whose base has three letters (compared as they are): dying → die, using → use, used → use.
  if (w.length === 5 && /^[^aeiouy]ying$/.test(w)) return `${w[0]}ie`;
  if (w.length === 5 && /^[aeiou][^aeiou]ing$/.test(w)) return `${w.slice(0, 2)}e`;
  if (w.length === 4 && w.endsWith('ed') && !w.endsWith('eed') && /[aeiouy]/.test(w.slice(0, 2))) return w.slice(0, -1);
  let base: string;
  if (w.endsWith('ing') && w.length >= 6) base = w.slice(0, -3);
  else if (w.endsWith('ed') && !w.endsWith('eed') && w.length >= 5) base = w.slice(0, -2);
  else return w;
  const last = base.at(-1)!;
  // A consonant doubled by the ending: logged → log, fitted → fit; not l, s, z ("billed" is "bill";
  // "cancelled", see stemWord), nor a three-letter base ("added" is "add").
  if (base.length >= 4 && last === base.at(-2) && !'aeioulsz'.includes(last)) return base.slice(0, -1);
  // Consonant-vowel-consonant left: the base ended in "e" (else the ending doubles it: hopped);
  // so did one ending in "u" ("glued" is "glue").
  if (/^[^aeiouy][aeiouy][^aeiouwxy]$/.test(base) || /^[^aeiouy]{2}u$/.test(base)) return `${base}e`;
  return base;
}

/**
 * A word's simple stem: a plural ending, then a verb ending, then a final silent "e"
 * ("settings" → "setting" → "set"; "charge" → "charg"), keeping at least four letters
 * ("note", "hope": a word of four letters starting with a consonant keeps its "e"). Then
 * the forms that still differ are made one: "-ee" is "-eed" ("agree", "agreed", "agreeing";
 * "free", "freed"), and a final "ll" after two syllables is "l" ("cancelled" and
 * "cancelling" are "cancel", "installed" is "instal"; "bill", "spell" keep theirs). Words of
 * up to three letters and words with digits stay as they are.
 */
export const stemWord = memoizeWord(stemOf);

function stemOf(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = verbStem(singular(word));
  // A final "e" goes when at least four letters stay, or from four letters starting with a vowel ("edge", "ease": no three-letter word to fold into).
  if (w.endsWith('e') && !w.endsWith('ee') && (w.length >= 5 || (w.length === 4 && 'aeiou'.includes(w[0]!)))) w = w.slice(0, -1);
  if (w.length >= 4 && w.endsWith('ee')) w = `${w}d`;
  if (w.endsWith('ll') && r2Start(w) < w.length) w = w.slice(0, -1);
  return w;
}

/**
 * Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
 * Burmese): each character (with its marks) is a word of its own, so "退款" is found in
 * "我要退款，谢谢" as a sequence of two, as any other phrase is.
 */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]\p{M}*/gu;

/** The text's words, in order, folded (case, accents, "ß" as "ss", endings). */
export function textWords(text: string): string[] {
  // Accents folded (src/text/fold.ts): "é" is "e", Arabic vowel marks go, Devanagari vowel signs stay.
  const folded = foldAccents(text.toLowerCase()).replaceAll('ß', 'ss').replace(UNSPACED, ' $& ');
  const words = folded.match(/[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu) ?? [];
  return words.map(stemWord);
}

/** Whether `phrase` (one or more folded words) occurs in `words` as a consecutive sequence. */
export function hasSequence(words: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0 || phrase.length > words.length) return false;
  outer: for (let i = 0; i <= words.length - phrase.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}
