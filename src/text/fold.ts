/**
 * Text folded for matching what people type against what is stored: accents and optional
 * vowel marks go, letters stay. Used by the rule word operators (src/rules/words.ts) and
 * @mentions (src/cases/mentions.ts).
 *
 * Folded away (after NFKD): the combining accents of Latin, Greek and Cyrillic ("é" is "e"),
 * Hebrew points, and Arabic vowel signs, hamza and madda ("أ", "آ" are "ا") and the tatweel
 * that only stretches a word. Marks that are part of a letter in other scripts stay: the
 * vowel signs and virama of Indian scripts (Devanagari "काम" is not "कम", "प्रिया" is not
 * "परय"), Thai vowels.
 */
const FOLDED_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed]/gu;

/** `text` in NFKD without accents and optional vowel marks (not lower-cased). */
export function foldAccents(text: string): string {
  return text.normalize('NFKD').replace(FOLDED_MARKS, '');
}
