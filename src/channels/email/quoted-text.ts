/**
 * The new text of a reply: the quoted history and the signature cut off. Recognises the
 * quoting of Gmail and Thunderbird ("On … wrote:", also split over two lines), Apple Mail
 * ("On 2 Mar 2026, at 10:00, … wrote:"), Outlook ("-----Original Message-----", a rule of
 * underscores, a "From: … Sent: …" block, also in the languages Outlook writes it in), other
 * languages' attributions, trailing `>` lines (with the attribution line above them), and
 * `-- ` signatures and "Sent from my …" lines. The full text is always kept beside it.
 *
 * A mail the customer *forwards* on a case (subject "Fwd: …", "FW: …", "WG: …") is not a reply:
 * the forwarded mail below their words is what they send us (the bank's answer, the shop's
 * invoice), not our own history quoted back, so it is kept whole (`mailText`).
 */

const WROTE = /^(on|am|le|el|il|op|em)\s.{1,300}\s(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu)\s*:\s*$/i;
/** Languages that put the name after the verb: "Am 02.03.2026 um 10:00 schrieb Support <s@example.com>:". */
const WROTE_NAME_AFTER = /^(am|le|el|il)\s.{1,300}\s(schrieb|a écrit|escribió|ha scritto)\s.{0,300}:\s*$/i;
const ORIGINAL = /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}\s*$/i;
/** A rule above a quoted header block: Outlook's underscores, or its HTML `<hr>` once the HTML is turned into text (a line of dashes). */
const RULE = /^\s*(_{20,}|-{20,})\s*$/;
/**
 * The first line of a quoted header block, as mail clients write it in their users' language:
 * English, German, French, Spanish/Portuguese, Italian, Dutch, the Scandinavian languages,
 * Finnish, Polish/Czech, Hungarian, Turkish, Russian, Ukrainian, Greek, Hebrew, Arabic, Japanese,
 * Chinese and Korean ("Van:", "Från:", "Від:", "Από:", "מאת:", "من:", "差出人:", "发件人:", "보낸 사람:"…),
 * with an ASCII or a full-width colon.
 */
const HEADER_FROM = /^\s*\*?(from|von|de|da|van|från|fra|lähettäjä|od|feladó|kimden|от|від|από|מאת|من|差出人|发件人|寄件者|보낸 사람)\s*[:：]\*?\s*\S/i;
/** The lines that follow it: date, recipients, subject, in the same languages. */
const HEADER_NEXT = new RegExp(
  `^\\s*\\*?(${[
    'sent|date|to|cc|subject',
    'gesendet|datum|an|betreff',
    'envoyé|à|objet',
    'enviado|enviada(?: em)?|enviado em|fecha|para|asunto|assunto|data',
    'inviato|a|oggetto',
    'verzonden|aan|onderwerp',
    'skickat|sendt|till|til|ämne|emne',
    'lähetetty|vastaanottaja|aihe',
    'wysłano|wysłane|do|temat|odesláno|komu|předmět',
    'elküldve|címzett|tárgy',
    'gönderildi|tarih|kime|konu',
    'отправлено|дата|кому|тема',
    'надіслано|відправлено',
    'στάλθηκε|ημερομηνία|προς|κοιν|θέμα',
    'נשלח|תאריך|אל|עותק|נושא',
    'تاريخ الإرسال|التاريخ|إلى|نسخة|الموضوع',
    '送信日時|宛先|件名',
    '发送时间|日期|收件人|主题',
    '寄件日期|收件者|主旨',
    '보낸 날짜|받는 사람|제목',
  ].join('|')})\\s*[:：]`,
  'i',
);
const FORWARD = /^\s*(begin forwarded message:|-{2,}\s*forwarded message\s*-{2,})\s*$/i;
/**
 * A line that names someone's address and ends with a colon: what introduces a quote in any
 * language — an `@` within its first 301 characters, followed by a run without spaces or `@`
 * holding a dot (`s@example.com`), at most 300 characters after that run, then the colon. Worked
 * out in linear time: the regex it replaces (`^.{0,300}@[^\s@]+\.[^\s@]+.{0,300}[:：]\s*$`) tried
 * every split of a long run of dots — a reply whose last line above a quote was `@a.a.a…` of
 * 8,000 characters held the server's one thread for 47 s, longer lines for hours.
 */
export function isAttribution(line: string): boolean {
  const text = line.trimEnd();
  // `.` in the regex matched no line terminator; the run holds no space: none anywhere.
  if (!/[:：]$/.test(text) || /[\n\r\u2028\u2029]/.test(text)) return false;
  const body = text.slice(0, -1);
  for (const match of body.matchAll(/@([^\s@]+)/g)) {
    if (match.index > 300) return false;
    const run = match[1]!;
    const dot = run.indexOf('.', 1);
    if (dot === -1 || dot === run.length - 1) continue;
    if (body.length - (match.index + 1 + run.length) <= 300) return true;
  }
  return false;
}
const SIGNATURE = /^--\s?$/;
const SENT_FROM = /^\s*(sent from my|get outlook for|sent from outlook|von meinem .* gesendet|envoyé de mon)\b/i;

function quoteStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1] ?? '';
    if (WROTE.test(line) || WROTE_NAME_AFTER.test(line)) return i;
    // Gmail wraps a long attribution line: "On Mon, 2 Mar 2026 at 10:00, Chloe Martin <" + "chloe@example.com> wrote:"
    if (/^(on|am|le|el)\s/i.test(line) && !/[.!?]\s*$/.test(line) && WROTE.test(`${line} ${next.trim()}`)) return i;
    if (ORIGINAL.test(line) || FORWARD.test(line)) return i;
    if (RULE.test(line) && (HEADER_FROM.test(next) || HEADER_FROM.test(lines[i + 2] ?? ''))) return i;
    if (HEADER_FROM.test(line) && [1, 2, 3].some((k) => HEADER_NEXT.test(lines[i + k] ?? ''))) return i;
  }
  return -1;
}

/** The start of a final run of `>` lines (blank lines allowed), or -1. */
function trailingQuote(lines: string[]): number {
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('>')) start = i;
    else if (line.trim() !== '') break;
  }
  return start;
}

export interface ReplyText {
  /** What the person wrote this time. */
  text: string;
  /** Whether anything was cut. */
  cut: boolean;
}

/**
 * A subject that begins with a forward prefix as mail clients write it — "Fwd:", "FW:", German
 * "WG:", French "TR:", Spanish "RV:", Portuguese "ENC:", Finnish "VL:", Dutch "Doorst:", Polish
 * "PD:", Chinese "转发:"/"轉寄:", Japanese "転送:", Korean "전달:", Russian "Пересл:" — not
 * "Re: Fwd: …", the answer to a forward. ("VS:" is a reply in Finnish and a forward in Danish: a
 * reply here, cut as before.)
 */
const FORWARD_SUBJECT = /^\s*(fwd?|wg|tr|rv|enc|vl|doorst|pd|转发|轉寄|転送|전달|пересл)\s*(?:\[\d+\])?\s*[:：]/i;

export function isForwardSubject(subject: string): boolean {
  return FORWARD_SUBJECT.test(subject);
}

/** The new text of a mail that answers a case: a forward whole, a reply without its quoted history and signature. */
export function mailText(full: string, subject: string): ReplyText {
  return isForwardSubject(subject) ? { text: full.trim(), cut: false } : replyText(full);
}

/**
 * Bidi and other invisible format marks: mail clients in right-to-left languages wrap lines in
 * them (Gmail's Hebrew attribution is `U+202B…<U+202As@example.comU+202C>:U+202C`), so a line is
 * recognised without them; the text kept is left as written.
 */
const FORMAT_MARKS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

function bare(line: string): string {
  return line.replace(FORMAT_MARKS, '');
}

export function replyText(full: string): ReplyText {
  let lines = full.replace(/\r\n?/g, '\n').split('\n');
  const original = lines.length;
  const start = quoteStart(lines.map(bare));
  if (start >= 0) lines = lines.slice(0, start);
  const quoted = trailingQuote(lines.map(bare));
  if (quoted >= 0) {
    lines = lines.slice(0, quoted);
    // The line that introduced the quote, in whatever language ("2026年3月2日(月) 10:00 Support <s@example.com>:",
    // "Den mån 2 mars 2026 skrev Support <s@example.com>:", "Support <s@example.com> 于2026年3月2日写道："): an address and a final colon.
    while (lines.length > 0 && bare(lines.at(-1)!).trim() === '') lines.pop();
    if (lines.length > 0 && isAttribution(bare(lines.at(-1)!))) lines.pop();
  }
  const signature = lines.findIndex((line) => SIGNATURE.test(bare(line)));
  if (signature >= 0) lines = lines.slice(0, signature);
  while (lines.length > 0 && (bare(lines.at(-1)!).trim() === '' || SENT_FROM.test(bare(lines.at(-1)!)))) lines.pop();
  const text = lines.join('\n').trim();
  if (text === '') {
    // Nothing above the quote (or only a signature). A reply that is only the quote (a photo sent
    // back with "Reply", an empty answer) says nothing new: '' (the caller says what the mail had
    // and keeps the original). One with text of its own below the quote (bottom-posting), or after
    // a header-style quote whose lines are not marked, keeps its whole text.
    const all = full.replace(/\r\n?/g, '\n').split('\n').map(bare);
    return onlyQuoted(all, start, start >= 0 ? -1 : trailingQuote(all)) ? { text: '', cut: true } : { text: full.trim(), cut: false };
  }
  return { text, cut: lines.length !== original || text !== full.trim() };
}

/**
 * Whether the quote is all there is after the reply's (empty) own part: from the attribution at
 * `start` ("On … wrote:", possibly wrapped onto a second line) every line with text is a `>` line;
 * without an attribution, the mail ends in a run of `>` lines (`quoted`). A header-style
 * start ("-----Original Message-----", "From: … Sent: …") does not mark the quoted lines: never.
 */
function onlyQuoted(lines: string[], start: number, quoted: number): boolean {
  if (start >= 0) {
    const line = lines[start]!;
    if (!(WROTE.test(line) || WROTE_NAME_AFTER.test(line) || /^(on|am|le|el)\s/i.test(line))) return false;
    const rest = lines.slice(start + 1).filter((l) => l.trim() !== '');
    // A wrapped attribution ("On Mon, … Chloe Martin <" + "chloe@example.com> wrote:"): its second half first.
    if (!WROTE.test(line) && !WROTE_NAME_AFTER.test(line)) rest.shift();
    return rest.length > 0 && rest.every((l) => l.startsWith('>'));
  }
  return quoted >= 0; // a final run of `>` lines: nothing follows it
}
