/**
 * Mail no one wrote to us: auto-replies (RFC 3834 `Auto-Submitted`, the vendors' own headers,
 * bulk mail, out-of-office subjects, a null return path), receipts and reports
 * (read receipts, abuse reports: `multipart/report` other than delivery status) and delivery
 * status notifications (bounces). Casebook never opens a case for them and never answers them.
 */
import type { ParsedMail } from 'mailparser';
import { headerValues } from './header-values.js';
import { fromOwnGroup } from './own-group.js';

/** Where an out-of-office phrase ends: a separator or the end of the subject (no Unicode \b for "automática" or "自动回复"). */
const END = String.raw`(?=$|[\s:：\-–—,.!(\[])`;
/** Phrases only auto-responders start a subject with (mail clients' out-of-office prefixes, several languages). */
const AUTO_PHRASES = [
  'out of (the )?office',
  'automatic (reply|response)',
  'auto(matic)?[ -]?(reply|response|respond(er)?)',
  'autoreply',
  'abwesenheitsnotiz',
  'automatische antwort',
  'r[ée]ponse automatique',
  'respuesta autom[áa]tica',
  'risposta automatica',
  'automatisch antwoord',
  'resposta autom[áa]tica',
  'autosvar',
  'automatisk svar',
  'automaattinen vastaus',
  'odpowied[źz] automatyczna',
  'automatick[áa] odpov[ěe]ď',
  'automatikus v[áa]lasz',
  'otomatik yan[ıi]t',
  'автоматический ответ',
  'автоматична відповідь',
  'αυτόματη απάντηση',
  'trả lời tự động',
  'balasan otomatis',
  'תשובה אוטומטית',
  'رد تلقائي',
  '自动回复',
  '自动答复',
  '自動回覆',
  '自動応答',
  '自動返信',
  '자동 응답',
  '자동 ?회신',
  'fuera de la oficina',
  'fuori ufficio',
  'nicht im b[üu]ro',
];
/**
 * Words a customer may well start a subject with ("Vacation rental refund", "Absence of an
 * invoice", "Away mode broken"): only an auto-reply when the subject is just that word, or
 * that word and a colon ("Vacation: Re: …", "Abwesend: Ihre Anfrage").
 */
const AMBIGUOUS = ['on vacation', 'vacation( reply)?', 'away( from (the )?office)?', "i am away", "i'm away", 'abwesend', 'absence', 'absent', 'afwezig', 'ausente', 'cong[ée]s?', 'holiday'];
const OUT_OF_OFFICE = new RegExp(`^\\s*(${AUTO_PHRASES.join('|')})${END}`, 'i');
const OUT_OF_OFFICE_WORD = new RegExp(`^\\s*(${AMBIGUOUS.join('|')})\\s*([:：].*|[.!]?\\s*)$`, 'i');

/** A `Return-Path: <>` (the null sender of bounces, receipts and RFC 3834 auto-responders). */
function nullReturnPath(mail: ParsedMail): boolean {
  return mail.headerLines.some((line) => line.key === 'return-path' && /^return-path:\s*<\s*>\s*$/i.test(line.line.trim()));
}

function contentType(mail: ParsedMail): { value: string; reportType: string } {
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  return { value: (type?.value ?? '').toLowerCase(), reportType: (type?.params?.['report-type'] ?? '').toLowerCase() };
}

export function isAutoReply(mail: ParsedMail): boolean {
  // Every line of a header counts: a list or a group that passes the mail on may add its own (`Precedence: list`) above the sender's.
  if (headerValues(mail, 'auto-submitted').some((value) => value !== '' && !/^no\b/i.test(value))) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-autoresponder')) return true;
  // `Precedence: list` is no sign of an automaton: Google Groups (a Workspace group as the support address), Mailman 2 and
  // Sympa mark every person's mail they pass on so. It is list mail: its case opens, unacknowledged (isListMail).
  if (precedences(mail).some((value) => /^(bulk|junk|auto_reply)$/i.test(value))) return true;
  if (nullReturnPath(mail)) return true;
  // Read receipts (disposition-notification), abuse and TLS reports: a report, never a request.
  const type = contentType(mail);
  if (type.value === 'multipart/report' && type.reportType !== 'delivery-status') return true;
  const subject = mail.subject ?? '';
  return OUT_OF_OFFICE.test(subject) || OUT_OF_OFFICE_WORD.test(subject);
}

/**
 * The `Precedence` header's values, one a line (`bulk`, `junk`, `list`, `auto_reply`; RFC 2076, RFC 3834 §2): not
 * mailparser's, which keeps only the first line — a group's `Precedence: list` above an auto-responder's `bulk`.
 */
function precedences(mail: ParsedMail): string[] {
  return headerValues(mail, 'precedence');
}

/**
 * Mail sent through a mailing list or as a newsletter (`List-Id`, `List-Unsubscribe`, RFC 2369
 * and 2919; `Precedence: list`, which Google Groups, Mailman 2 and Sympa set). It may be a
 * customer's request (someone writes through a list, or the support address is a group), so it
 * opens its case; but RFC 3834 §2 asks for no automatic response to it: it is not acknowledged.
 */
export function isListMail(mail: ParsedMail): boolean {
  return mail.headerLines.some((line) => line.key === 'list-id' || line.key === 'list-unsubscribe') || precedences(mail).some((value) => /^list$/i.test(value));
}

/**
 * Why no automatic mail may answer this one, though it may well be a person's (it opens its
 * case): list mail and newsletters (RFC 3834 §2); a sender that asks for none —
 * `X-Auto-Response-Suppress` (Exchange and Outlook; `All`, `AutoReply`, `OOF`, `DR`… anything
 * but `None`), set by helpdesks, CRMs and mail sent by rules —; or a mail another system marked
 * with `X-Loop` (procmail, other helpdesks: it came from an automaton that guards against
 * loops). Answering those is how two helpdesks or a helpdesk and an auto-responder ping-pong.
 * Null when an automatic answer is fine.
 */
export function noAutomaticAnswer(mail: ParsedMail, supportAddress: string): 'list' | 'suppressed' | 'x-loop' | null {
  // Our own group (the support address as a Google Workspace group: own-group.ts) passes on a customer's mail to us, not list mail.
  if (isListMail(mail) && !fromOwnGroup(mail, supportAddress)) return 'list';
  const suppress = headerValues(mail, 'x-auto-response-suppress').flatMap((v) => v.split(/[\s,;]+/)).filter((token) => token !== '');
  if (suppress.some((token) => token.toLowerCase() !== 'none')) return 'suppressed';
  if (headerValues(mail, 'x-loop').length > 0) return 'x-loop';
  return null;
}

/** The addresses an `X-Loop` header names (a system that marks its own mail puts its address there). */
export function xLoopAddresses(mail: ParsedMail): string[] {
  return headerValues(mail, 'x-loop').flatMap((v) => [...v.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)].map((m) => m[0]));
}

const DAEMONS = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;

export function isBounce(mail: ParsedMail): boolean {
  const type = contentType(mail);
  if (type.value === 'multipart/report' && type.reportType === 'delivery-status') return true;
  const from = mail.from?.value[0]?.address ?? '';
  return DAEMONS.test(from);
}
