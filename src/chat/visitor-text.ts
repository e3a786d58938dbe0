/**
 * What a visitor types, made storable and harmless before it is checked: control characters
 * removed as from mail (src/text/control-chars.ts: NUL cannot be stored on PostgreSQL, a
 * terminal escape or BEL is noise to the agent) and lone surrogates replaced by U+FFFD
 * (src/text/well-formed.ts: half an emoji in a timeline entry was a 500 on PostgreSQL).
 */
import { lineWithoutControls, withoutControls } from '../text/control-chars.js';
import { wellFormed } from '../text/well-formed.js';

/** A text of several lines (a message): line breaks as `\n`, trimmed. */
export function visitorText(text: string): string {
  return wellFormed(withoutControls(text)).trim();
}

/** A one-line text (a name): runs of white space as one space, trimmed. */
export function visitorLineText(text: string): string {
  return wellFormed(lineWithoutControls(text));
}
