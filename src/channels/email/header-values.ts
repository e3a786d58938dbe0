/**
 * A header's values as the mail carries them, one a line (PURE): mailparser's `headers` keeps
 * only the first line of most headers, and what a relay, a list or a group adds above the
 * sender's own is read first there (`Precedence: list` above `bulk`, a second `X-Original-From`).
 */
import type { ParsedMail } from 'mailparser';

/** The values of every line of the header `key` (lower case), as received, unfolded. */
export function headerValues(mail: ParsedMail, key: string): string[] {
  return mail.headerLines.filter((line) => line.key === key).map((line) => line.line.slice(line.line.indexOf(':') + 1).replace(/\s+/g, ' ').trim());
}
