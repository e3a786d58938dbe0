/**
 * Mail no one wrote to us: auto-replies (RFC 3834 `Auto-Submitted`, the vendors' own headers,
 * bulk and list mail, out-of-office subjects) and delivery status notifications (bounces).
 * Casebook never opens a case for them and never answers them.
 */
import type { ParsedMail } from 'mailparser';

function header(mail: ParsedMail, name: string): string {
  const value = mail.headers.get(name);
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') return value.value;
  return String(value);
}

const OUT_OF_OFFICE = /^\s*(out of (the )?office|automatic reply|auto(matic)?[ -]?(reply|response)|autoreply|abwesenheitsnotiz|abwesend|absence|r[ée]ponse automatique|vacation|on vacation|away from (the )?office|i am away|i'm away)\b/i;

export function isAutoReply(mail: ParsedMail): boolean {
  const auto = header(mail, 'auto-submitted').trim().toLowerCase();
  if (auto && !auto.startsWith('no')) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-autoresponder')) return true;
  if (/^(bulk|junk|list|auto_reply)$/i.test(header(mail, 'precedence').trim())) return true;
  return OUT_OF_OFFICE.test(mail.subject ?? '');
}

const DAEMONS = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;

export function isBounce(mail: ParsedMail): boolean {
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() === 'multipart/report' && (type.params?.['report-type'] ?? '').toLowerCase() === 'delivery-status') return true;
  const from = mail.from?.value[0]?.address ?? '';
  return DAEMONS.test(from);
}
