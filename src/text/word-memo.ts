/**
 * A pure word → word function (a stemmer) with its recent answers kept (PURE but for the
 * memo). Support requests draw on a small vocabulary, so most words of a request were seen in
 * the requests before it: the intake's diagnosis and the rules' word operators stem every word
 * of every request.
 *
 * Bounded: at most `max` words, all forgotten at once when full (no bookkeeping per hit). Only
 * words of up to 12 UTF-16 units are kept: V8 makes a longer piece of a string a view of the
 * whole (a sliced string), and a kept view would keep the whole request text alive.
 */
const KEPT_LENGTH = 12;

export function memoizeWord(fn: (word: string) => string, max = 4096): (word: string) => string {
  const memo = new Map<string, string>();
  return (word) => {
    if (word.length > KEPT_LENGTH) return fn(word);
    let out = memo.get(word);
    if (out === undefined) {
      out = fn(word);
      if (memo.size >= max) memo.clear();
      memo.set(word, out);
    }
    return out;
  };
}
