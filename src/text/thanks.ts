/**
 * Whether a customer's message is only a thank-you ("Thanks!", "Thank you so much, works now 👍",
 * "Vielen Dank!"): the reply a resolved case gets that asks for nothing. Such a reply on a
 * resolved case raises `customer.thanked` instead of `customer.replied` (src/cases/add-message.ts),
 * so the default workflow does not reopen the case for it (docs/workflows.md, *Events*).
 *
 * Deliberately narrow: a message that might ask for something is not a thank-you, and then the
 * case reopens as before. It is one only when, after the quoted history and a signature ("-- ")
 * are cut, it
 * - asks no question (no "?", "？" or "¿" in what is left),
 * - has at most MAX_WORDS words, every one of them from a short list of thanks, praise,
 *   confirmation and sign-off words in a few languages (or a word of the customer's own name, as
 *   in "Thanks, Chloe"), and at least one word of thanks itself;
 * so "Thanks, but it still fails", "thanks — one more thing", "no thanks" or "Thanks. Can you
 * also…" are replies like any other. Apostrophes are dropped ("that's" → "thats"), accents
 * folded ("schön" → "schon"), case ignored; emoji and punctuation are not words.
 */
import { foldAccents } from './fold.js';

const MAX_WORDS = 20;

/** Words that thank (one of them must be in the message). */
const THANKS = new Set([
  'thanks', 'thank', 'thx', 'thanx', 'thankyou', 'ty', 'tks', 'cheers', 'appreciated', 'appreciate', 'grateful',
  'danke', 'dankeschon', 'dank', 'merci', 'gracias', 'grazie', 'obrigado', 'obrigada', 'bedankt', 'dankjewel', 'tack', 'takk', 'kiitos', 'dziekuje',
]);

/** Other words a thank-you is made of: praise, "it works now", greetings and sign-offs. */
const ALSO = new Set([
  'you', 'u', 'so', 'very', 'much', 'many', 'a', 'lot', 'lots', 'again', 'for', 'the', 'your', 'all', 'that', 'thats', 'this', 'it', 'its',
  'is', 'was', 'i', 'we', 'really', 'truly', 'indeed', 'most', 'kindly', 'and', 'of', 'to', 'my', 'our', 'oh', 'wow', 'yes', 'yay',
  'help', 'helpful', 'helping', 'quick', 'quickly', 'fast', 'swift', 'prompt', 'reply', 'response', 'answer', 'support', 'solution', 'fix',
  'works', 'worked', 'working', 'now', 'fixed', 'solved', 'sorted', 'resolved', 'did', 'done', 'trick',
  'found', 'got', 'makes', 'sense', 'understood', 'noted', 'clear', 'glad', 'happy', 'pleased', 'finally',
  'great', 'perfect', 'awesome', 'brilliant', 'excellent', 'wonderful', 'fantastic', 'amazing', 'super', 'good', 'nice', 'cool', 'ok', 'okay',
  'lovely', 'exactly', 'job', 'work', 'service',
  'hi', 'hello', 'hey', 'dear', 'team', 'guys', 'folks', 'everyone', 'sir', 'madam',
  'kind', 'regards', 'best', 'br', 'have', 'day', 'weekend', 'evening', 'greetings',
  // German, French, Spanish, Italian, Portuguese, Dutch: "vielen Dank", "merci beaucoup", "muchas gracias"…
  'vielen', 'herzlichen', 'vielmals', 'schon', 'schonen', 'tag', 'gruss', 'grusse', 'lg', 'mfg', 'hallo', 'funktioniert', 'jetzt', 'alles', 'gut',
  'beaucoup', 'bien', 'bonjour', 'cordialement', 'tres', 'mille', 'fois', 'parfait', 'ca', 'marche',
  'muchas', 'mil', 'perfecto', 'saludos', 'hola', 'molte', 'tante', 'muito', 'wel', 'hartelijk',
]);

/** Where a signature starts: "-- " on its own line (RFC 3676), or a line of dashes or underscores. */
const SIGNATURE = /^(?:--\s*|—\s*|_{2,}\s*|-{3,}\s*)$/;

/**
 * Whether `body` is only a thank-you. `nameWords`: the customer's name, split, lower-cased and
 * folded by the caller or not (words of it do not count against the message).
 */
export function isThanksOnly(body: string, nameWords: readonly string[] = []): boolean {
  const lines: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    if (SIGNATURE.test(line)) break;
    if (!line.trimStart().startsWith('>')) lines.push(line);
  }
  const text = lines.join(' ');
  if (/[?？¿]/.test(text)) return false;
  const words = wordsOf(text);
  if (words.length === 0 || words.length > MAX_WORDS) return false;
  const name = new Set(nameWords.flatMap(wordsOf));
  let thanked = false;
  for (const word of words) {
    if (THANKS.has(word)) thanked = true;
    else if (!ALSO.has(word) && !name.has(word)) return false;
  }
  return thanked;
}

/** Lower-cased, accent-folded words: letters and digits; apostrophes dropped, anything else a break. */
function wordsOf(text: string): string[] {
  return foldAccents(text)
    .toLowerCase()
    .replace(/['’`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}
