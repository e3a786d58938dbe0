/**
 * What a calendar invitation says, as the text of a mail that carries nothing else (Outlook and
 * Google Calendar invitations sent from a calendar program, "Onboarding call" with no text or HTML
 * part). The iCalendar (RFC 5545) of the first event: its SUMMARY, when it is (DTSTART–DTEND or
 * DURATION, in the time zone the organizer's calendar names, in UTC, or all day), LOCATION,
 * ORGANIZER and DESCRIPTION; a reply's answer (the ATTENDEE's PARTSTAT). Folded lines are unfolded, `\,` `\;` `\n` `\\` unescaped, quoted
 * parameters read. Only the first MAX_ICS characters are read (in linear time); an invitation
 * without any of these properties gives no text.
 */

const MAX_ICS = 256 * 1024;
const MAX_LINES = 5_000;

interface Property {
  name: string;
  params: Record<string, string>;
  value: string;
}

/** One content line: `NAME;PARAM=value;PARAM="quoted:value":value`, read left to right. */
function property(line: string): Property | null {
  let i = 0;
  while (i < line.length && /[A-Za-z0-9-]/.test(line[i]!)) i++;
  if (i === 0) return null;
  const name = line.slice(0, i).toUpperCase();
  const params: Record<string, string> = {};
  while (line[i] === ';') {
    const eq = line.indexOf('=', i);
    if (eq < 0) return null;
    const key = line.slice(i + 1, eq).toUpperCase();
    i = eq + 1;
    let value = '';
    if (line[i] === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) return null;
      value = line.slice(i + 1, close);
      i = close + 1;
    } else {
      const start = i;
      while (i < line.length && line[i] !== ';' && line[i] !== ':') i++;
      value = line.slice(start, i);
    }
    // A parameter with a list of values (`MEMBER="a","b"`) keeps its first.
    while (i < line.length && line[i] !== ';' && line[i] !== ':') i++;
    if (!(key in params)) params[key] = value;
  }
  if (line[i] !== ':') return null;
  return { name, params, value: line.slice(i + 1) };
}

/** A TEXT value unescaped (RFC 5545 3.3.11). */
function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

interface When {
  /** The wall-clock time as if it were UTC (for arithmetic), or a date at midnight. */
  at: number;
  allDay: boolean;
  zone: string | null;
}

function when(p: Property | undefined): When | null {
  if (!p) return null;
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$/.exec(p.value.trim());
  if (!m) return null;
  const [, y, mo, d, hh, mi, ss, z] = m;
  const at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh ?? 0), Number(mi ?? 0), Number(ss ?? 0));
  // No such day or time (20261345, 25:00): left out rather than rolled over into another.
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 16) !== `${y}-${mo}-${d}T${hh ?? '00'}:${mi ?? '00'}`) return null;
  const allDay = hh === undefined;
  return { at, allDay, zone: allDay ? null : z ? 'UTC' : (p.params.TZID?.trim() || null) };
}

/** A DURATION (`P1D`, `PT1H30M`, `P2W`) in milliseconds, null when it is not one. */
function duration(value: string | undefined): number | null {
  const m = /^\+?P(?:(\d{1,5})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,5})M)?(?:(\d{1,5})S)?)?$/.exec(value?.trim() ?? '');
  if (!m || value!.trim().endsWith('P') || value!.trim().endsWith('T')) return null;
  const [, w, d, h, mi, s] = m.map((x) => Number(x ?? 0));
  return ((((w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!) * 1000;
}

const DAY = 24 * 60 * 60 * 1000;
const date = (at: number) => new Date(at).toISOString().slice(0, 10);
const time = (at: number) => new Date(at).toISOString().slice(11, 16);

function whenText(start: When, end: When | null): string {
  if (start.allDay) {
    // An all-day event's end is the day after its last (exclusive).
    const last = end && end.allDay && end.at - DAY > start.at ? end.at - DAY : start.at;
    return last === start.at ? `${date(start.at)} (all day)` : `${date(start.at)} – ${date(last)} (all day)`;
  }
  const zone = start.zone ? ` (${start.zone})` : '';
  if (!end || end.allDay || end.at < start.at) return `${date(start.at)} ${time(start.at)}${zone}`;
  const endZone = end.zone && end.zone !== start.zone ? ` (${end.zone})` : '';
  if (date(end.at) === date(start.at) && !endZone) return `${date(start.at)} ${time(start.at)}–${time(end.at)}${zone}`;
  return `${date(start.at)} ${time(start.at)}${endZone ? zone : ''} – ${date(end.at)} ${time(end.at)}${endZone || zone}`;
}

/** An ORGANIZER or ATTENDEE: `Name <address>`. */
function person(p: Property | undefined): string | null {
  if (!p) return null;
  const address = p.value.trim().replace(/^mailto:/i, '');
  const name = p.params.CN?.trim();
  if (name && address) return `${name} <${address}>`;
  return name || address || null;
}

const ANSWERS: Record<string, string> = { ACCEPTED: 'accepted', DECLINED: 'declined', TENTATIVE: 'tentatively accepted', DELEGATED: 'delegated' };

const HEADINGS: Record<string, string> = { CANCEL: 'Cancelled', REPLY: 'Reply to an invitation', COUNTER: 'Counter-proposal' };

/** The text of an invitation's first event, '' when it has nothing to say (not iCalendar, no event). */
export function calendarText(ics: string): string {
  const lines = ics.slice(0, MAX_ICS).replace(/\r?\n[ \t]/g, '').split(/\r?\n/, MAX_LINES);
  let method = '';
  let depth = 0;
  let inEvent = false;
  const event = new Map<string, Property>();
  for (const line of lines) {
    const p = property(line);
    if (!p) continue;
    if (p.name === 'BEGIN') {
      if (p.value.trim().toUpperCase() === 'VEVENT' && event.size === 0 && !inEvent) inEvent = true;
      else if (inEvent) depth++;
      continue;
    }
    if (p.name === 'END') {
      if (inEvent && depth > 0) depth--;
      else if (inEvent && p.value.trim().toUpperCase() === 'VEVENT') break;
      continue;
    }
    if (!inEvent && p.name === 'METHOD') method = p.value.trim().toUpperCase();
    // Properties of the event's own, not of an alarm inside it.
    if (inEvent && depth === 0 && !event.has(p.name)) event.set(p.name, p);
  }
  const summary = event.get('SUMMARY') ? unescapeText(event.get('SUMMARY')!.value).trim() : '';
  const start = when(event.get('DTSTART'));
  let end = when(event.get('DTEND'));
  const length = duration(event.get('DURATION')?.value);
  if (!end && start && length !== null) end = { ...start, at: start.at + length };
  const location = event.get('LOCATION') ? unescapeText(event.get('LOCATION')!.value).trim() : '';
  const from = person(event.get('ORGANIZER'));
  // A reply (Outlook's "Accepted: …" often has no text of its own) says who answered what.
  const attendee = event.get('ATTENDEE');
  const answer = method === 'REPLY' && attendee ? ANSWERS[attendee.params.PARTSTAT?.trim().toUpperCase() ?? ''] : undefined;
  const description = event.get('DESCRIPTION') ? unescapeText(event.get('DESCRIPTION')!.value).trim() : '';
  const out: string[] = [];
  if (summary) out.push(`${HEADINGS[method] ?? 'Invitation'}: ${summary}`);
  if (start) out.push(`When: ${whenText(start, end)}`);
  if (location) out.push(`Where: ${location}`);
  if (from) out.push(`Organizer: ${from}`);
  if (answer) out.push(`Answer: ${person(attendee)} ${answer}`);
  if (out.length > 0 && !summary) out.unshift(HEADINGS[method] ?? 'Invitation');
  if (description) out.push('', description);
  return out.join('\n').trim();
}
