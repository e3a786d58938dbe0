/**
 * Words as the word operators (`textHasWord`, `textHasAnyWord`) see them: text is split
 * into letter/digit runs, lower-cased, accents removed, and each word folded to a simple
 * stem so plural and verb endings do not matter ("charges", "charged", "charging" →
 * "charg"; "replies", "replied" → "reply"; "logged" → "log"). Whole words only: "download"
 * is one word and never contains "down".
 */

/** Drops one letter of a doubled final consonant left by -ed/-ing ("logg" → "log"), not l/s/z ("bill", "pass"). */
function undouble(base: string): string {
  const last = base.at(-1)!;
  return base.length >= 3 && last === base.at(-2) && !'aeioulsz'.includes(last) ? base.slice(0, -1) : base;
}

/**
 * A word's simple stem: a plural ending, then a verb ending, then a final silent "e"
 * ("settings" → "setting" → "set"). Words of up to three letters and words with digits stay
 * as they are.
 */
export function stemWord(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:[sxz]|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ing') && w.length >= 6) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && !w.endsWith('eed') && w.length >= 5) w = undouble(w.slice(0, -2));
  if (w.length >= 4 && w.endsWith('e') && !w.endsWith('ee')) w = w.slice(0, -1);
  return w;
}

/** The text's words, in order, folded (case, accents, endings). */
export function textWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').match(/[\p{L}\p{N}]+/gu) ?? [];
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
