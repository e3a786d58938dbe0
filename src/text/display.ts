/**
 * User text on display. Bidirectional *formatting* controls — embeddings and overrides
 * (U+202A–U+202E: LRE, RLE, PDF, LRO, RLO) and isolates (U+2066–U+2069: LRI, RLI, FSI,
 * PDI) — make text show differently from what it is: "\u202Egnp.exe" shows as "exe.png",
 * and an unclosed override reorders everything after it on the line. Casebook removes them
 * wherever user text is shown: every HTML page and fragment (one middleware in createApp),
 * mails, the SLA report (HTML and CSV) and every CSV download. Right-to-left text itself
 * (Arabic, Hebrew) needs none of them and shows as written; the plain marks LRM, RLM and
 * ALM, which cannot reverse text, are kept. The API returns the stored text unchanged.
 * A JSON download (a customer's export) keeps the text as it is but writes each control as
 * a `\uXXXX` escape (`jsonWithEscapedBidi`): parsed, the data is unchanged; read as a file,
 * nothing reorders.
 */

/** Every bidi embedding, override and isolate control. */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** The text without bidi embedding, override and isolate controls. */
export function displayText(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

const ANY_BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

export function hasBidiControls(text: string): boolean {
  return ANY_BIDI_CONTROL.test(text);
}

/** `value` as JSON with every bidi control written as a `\uXXXX` escape (they only occur inside strings). */
export function jsonWithEscapedBidi(value: unknown): string {
  return JSON.stringify(value).replace(BIDI_CONTROLS, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
