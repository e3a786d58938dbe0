/**
 * Control characters in text that arrives from outside (mail above all): they carry no text,
 * and shown or copied they do harm — a terminal escape (`ESC[31m`) recolours a log or a
 * terminal, a BEL or DEL is invisible noise, NUL breaks storage. Removed are the C0 controls
 * but tab and line break (in a one-line text those become spaces), DEL, the C1 controls
 * (U+0080–U+009F), and terminal escape sequences as a whole (CSI such as `ESC[31m`, OSC such
 * as `ESC]0;title BEL`, two-character escapes), so no `[31m` is left behind.
 */
import { wellFormed } from './well-formed.js';

const ESCAPE_SEQUENCE = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])?/g;
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** A text of several lines (a mail's body): line breaks as `\n`, tabs kept, every other control removed. */
export function withoutControls(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(CONTROLS, '');
}

/** A one-line text (a subject, a name): controls removed, line breaks and runs of white space as one space, trimmed. */
export function lineWithoutControls(text: string): string {
  return withoutControls(text).replace(/\s+/g, ' ').trim();
}

/**
 * Text of several lines typed or sent by anyone (a request's description, a message): well
 * formed (no half emoji) and without controls. A NUL was a 500 on PostgreSQL (text cannot hold
 * U+0000), a lone surrogate too (jsonb); on SQLite both were stored and shown to staff.
 */
export function cleanText(text: string): string {
  return wellFormed(withoutControls(text));
}

/** A one-line text typed or sent by anyone (a subject, a name), the same way: line breaks and runs of white space as one space. */
export function cleanLine(text: string): string {
  return wellFormed(lineWithoutControls(text));
}
