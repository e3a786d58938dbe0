/**
 * File names and media types of attachments, made safe once when a file is stored and again
 * when it is served: a name is what the person called the file, without any path, control or
 * bidi characters (a "\u202Egnp.exe" would show as "exe.png"), characters Windows refuses, or
 * leading dots; it goes into Content-Disposition as an ASCII `filename` and the exact UTF-8
 * `filename*` (RFC 6266 / RFC 5987). A declared media type is kept as declared (when it is
 * one), but a download is served as it only when it is on a short allow-list of types browsers
 * do not run; everything else is `application/octet-stream`.
 */
import { BIDI_CONTROLS } from '../text/display.js';

const MAX_NAME = 200;

/**
 * The name without the dots and spaces it ends with, in linear time: `replace(/[.\s]+$/, '')`
 * started again at every dot and space of the name (a name of ". . . ." 32,000 characters long,
 * from a mail's header, took 2 s).
 */
function withoutTrailingDots(name: string): string {
  let end = name.length;
  while (end > 0 && (name[end - 1] === '.' || /\s/.test(name[end - 1]!))) end--;
  return name.slice(0, end);
}

/** The name as it is stored and shown; `fallback` when nothing usable is left. */
export function sanitizeFileName(raw: string | null | undefined, fallback = 'attachment'): string {
  let name = (raw ?? '').normalize('NFC');
  name = name.replace(/[\u0000-\u001F\u007F-\u009F]/g, '').replace(BIDI_CONTROLS, '').replace(/[\u200B-\u200F\u2028\u2029\uFEFF]/g, '');
  name = name.split(/[\\/]/).pop() ?? '';
  name = withoutTrailingDots(name.replace(/["*:<>?|]/g, '_').replace(/\s+/g, ' ').trim().replace(/^[.\s]+/, ''));
  if (name === '') return fallback;
  if ([...name].length <= MAX_NAME) return name;
  // Keep the extension when shortening.
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return [...name.slice(0, name.length - ext.length)].slice(0, MAX_NAME - ext.length).join('') + ext;
}

const TOKEN = "[a-z0-9!#$&^_.+-]{1,100}";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/** The declared type without parameters, lower-cased; `application/octet-stream` when it is not a media type. */
export function declaredMediaType(raw: string | null | undefined): string {
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
}

/** Types a browser shows or saves without running anything (and we serve with nosniff, as a download, sandboxed). */
const SAFE_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain', 'text/csv', 'application/zip', 'message/rfc822']);

/** The Content-Type a download is served with. */
export function servedMediaType(declared: string): string {
  return SAFE_TYPES.has(declared) ? declared : 'application/octet-stream';
}

/** RFC 5987 percent-encoding of UTF-8 (attr-char stays as it is). */
function encodeRfc5987(value: string): string {
  return Array.from(new TextEncoder().encode(value), (byte) => {
    const ch = String.fromCharCode(byte);
    return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** `attachment; filename="ascii"; filename*=UTF-8''exact`: the exact name for every browser, an ASCII stand-in for old ones. */
export function contentDisposition(fileName: string): string {
  const name = sanitizeFileName(fileName);
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036F]/g, '').replace(/[^\x20-\x7E]/g, '_').replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}
