/**
 * Cutting user text to a length limit without breaking a character: a plain `slice` counts
 * UTF-16 units, so at the limit it can split a surrogate pair (an emoji: the lone half is
 * stored as invalid UTF-8 and reads back as U+FFFD) or a grapheme (a letter and its combining
 * accent, a flag, a family emoji joined by ZWJ). `clipText` keeps whole graphemes: the result
 * is at most `max` UTF-16 units long (the unit `z.string().max()` and JavaScript count), so a
 * limit documented in characters holds, and it ends between two user-perceived characters.
 */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Code points between two of which there is always a grapheme boundary (UAX #29, GB999):
 * base characters that neither extend, join, prepend nor pair — no marks, spacing marks, ZWJ,
 * emoji modifiers, regional indicators (flags), Hangul jamo or syllables, nor the few Prepend
 * letters. Before one of them, a combining diacritic (U+0300–U+036F) ends its cluster too.
 */
const BASE = /^\p{Grapheme_Base}$/u;
const NOT_PLAIN = /[\p{Mc}\p{Emoji_Modifier}\p{Regional_Indicator}\p{Script=Hangul}\u0E33\u0EB3\u0D4E\u{111C2}\u{111C3}\u{1193F}\u{11941}\u{11A3A}\u{11A84}-\u{11A89}\u{11D46}\u{11F02}]/u;
const DIACRITIC = /^[\u0300-\u036F]$/;

function plain(c: string): boolean {
  return BASE.test(c) && !NOT_PLAIN.test(c);
}

/** The code point ending just before `i`, and the one starting at `i`. */
function around(text: string, i: number): [string, string] | null {
  const next = text.codePointAt(i)!;
  if (next >= 0xdc00 && next <= 0xdfff) return null; // the middle of a surrogate pair
  const low = text.charCodeAt(i - 1);
  const before = low >= 0xdc00 && low <= 0xdfff && i >= 2 ? text.slice(i - 2, i) : text[i - 1]!;
  return [before, String.fromCodePoint(next)];
}

/** How far before the limit segmenting starts, and how far back a sure boundary is looked for. */
const WINDOW = 256;
const LOOK_BACK = 65_536;

/**
 * Where segmenting may start for a cut at `max`: a sure boundary (between two plain code
 * points) at least WINDOW units before it; 0 when there is none near. Intl.Segmenter's
 * iteration costs grow with the square of what it reads (V8: a 320,000-character line took
 * 95 s to cut, blocking the server), so only the stretch before the limit is segmented.
 */
function safeStart(text: string, max: number): number {
  const lowest = Math.max(1, max - WINDOW - LOOK_BACK);
  for (let i = max - WINDOW; i >= lowest; i--) {
    const pair = around(text, i);
    if (pair && plain(pair[1]) && (plain(pair[0]) || DIACRITIC.test(pair[0]))) return i;
  }
  return 0;
}

export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const start = max > WINDOW ? safeStart(text, max) : 0;
  // The boundaries up to the limit depend on the text up to one code point past it.
  let end = start;
  for (const { index, segment } of graphemes.segment(text.slice(start, max + 2))) {
    if (start + index + segment.length > max) break;
    end = start + index + segment.length;
  }
  return text.slice(0, end);
}
