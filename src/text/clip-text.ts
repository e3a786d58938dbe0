/**
 * Cutting user text to a length limit without breaking a character: a plain `slice` counts
 * UTF-16 units, so at the limit it can split a surrogate pair (an emoji: the lone half is
 * stored as invalid UTF-8 and reads back as U+FFFD) or a grapheme (a letter and its combining
 * accent, a flag, a family emoji joined by ZWJ). `clipText` keeps whole graphemes: the result
 * is at most `max` UTF-16 units long (the unit `z.string().max()` and JavaScript count), so a
 * limit documented in characters holds, and it ends between two user-perceived characters.
 */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  // Segments are produced lazily: the loop reads only up to the limit.
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}
