import { describe, expect, it } from 'vitest';
import { calendarText } from './calendar-text.js';

const ics = (...event: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', ...event, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

describe('calendarText', () => {
  it('unfolds lines (space or tab), unescapes text, reads quoted parameters with : and ;', () => {
    expect(
      calendarText(
        ics(
          'SUMMARY:Kick-off\\, phase 2\\; final',
          'ORGANIZER;SENT-BY="mailto:pa@x.example";CN="Dr. Lee: Sales; EMEA":MAILTO:lee@x.example',
          'DESCRIPTION:Line one\\nLine two with a back\\\\slash and C:\\\\path\\N',
          '\tfolded with a tab',
          'LOCATION:Room 1',
        ),
      ),
    ).toBe('Invitation: Kick-off, phase 2; final\nWhere: Room 1\nOrganizer: Dr. Lee: Sales; EMEA <lee@x.example>\n\nLine one\nLine two with a back\\slash and C:\\path\nfolded with a tab');
  });

  it('times: the organizer’s zone, UTC, floating, across days, an end in another zone, all day with DURATION', () => {
    expect(calendarText(ics('SUMMARY:A', 'DTSTART;TZID="America/New_York":20260305T093000', 'DTEND;TZID="America/New_York":20260305T100000'))).toBe('Invitation: A\nWhen: 2026-03-05 09:30–10:00 (America/New_York)');
    expect(calendarText(ics('SUMMARY:B', 'DTSTART:20260305T220000', 'DTEND:20260306T010000'))).toBe('Invitation: B\nWhen: 2026-03-05 22:00 – 2026-03-06 01:00');
    expect(calendarText(ics('SUMMARY:C', 'DTSTART;TZID=Europe/London:20260305T090000', 'DTEND;TZID=Europe/Paris:20260305T110000'))).toBe('Invitation: C\nWhen: 2026-03-05 09:00 (Europe/London) – 2026-03-05 11:00 (Europe/Paris)');
    expect(calendarText(ics('SUMMARY:D', 'DTSTART;VALUE=DATE:20260228', 'DURATION:P2D'))).toBe('Invitation: D\nWhen: 2026-02-28 – 2026-03-01 (all day)');
    expect(calendarText(ics('SUMMARY:E', 'DTSTART;VALUE=DATE:20261231'))).toBe('Invitation: E\nWhen: 2026-12-31 (all day)');
    expect(calendarText(ics('SUMMARY:F', 'DTSTART:20260101T080000Z', 'DURATION:PT1H30M'))).toBe('Invitation: F\nWhen: 2026-01-01 08:00–09:30 (UTC)');
    // A time that is not one is left out; an end before the start shows only the start.
    expect(calendarText(ics('SUMMARY:G', 'DTSTART:2026-01-01'))).toBe('Invitation: G');
    expect(calendarText(ics('SUMMARY:G', 'DTSTART:20261345'))).toBe('Invitation: G');
    expect(calendarText(ics('SUMMARY:G', 'DTSTART:20260101T250000Z'))).toBe('Invitation: G');
    expect(calendarText(ics('SUMMARY:H', 'DTSTART:20260101T100000Z', 'DTEND:20260101T090000Z'))).toBe('Invitation: H\nWhen: 2026-01-01 10:00 (UTC)');
  });

  it('the first event’s own properties (not its alarm’s, not the time zone’s); the method names a cancellation or a reply', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'METHOD:REPLY',
      'BEGIN:VTIMEZONE',
      'TZID:Z',
      'BEGIN:DAYLIGHT',
      'DTSTART:19700329T020000',
      'END:DAYLIGHT',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'BEGIN:VALARM',
      'DESCRIPTION:Reminder',
      'END:VALARM',
      'SUMMARY:Review',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'SUMMARY:Second',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\n');
    expect(calendarText(text)).toBe('Reply to an invitation: Review');
    // Outlook's "Accepted: Review" with no text of its own: who answered what.
    expect(calendarText(text.replace('SUMMARY:Review', 'SUMMARY:Review\nATTENDEE;PARTSTAT=ACCEPTED;CN=Bo Berg:mailto:bo@x.example'))).toBe('Reply to an invitation: Review\nAnswer: Bo Berg <bo@x.example> accepted');
    expect(calendarText(text.replace('SUMMARY:Review', 'SUMMARY:Review\nATTENDEE;CN="Berg, Bo";PARTSTAT=tentative:mailto:bo@x.example'))).toBe('Reply to an invitation: Review\nAnswer: Berg, Bo <bo@x.example> tentatively accepted');
    expect(calendarText(ics('DTSTART:20260101T100000Z'))).toBe('Invitation\nWhen: 2026-01-01 10:00 (UTC)');
  });

  it('gives nothing for what is no invitation, and reads huge or hostile input in linear time', () => {
    expect(calendarText('')).toBe('');
    expect(calendarText('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')).toBe('');
    expect(calendarText('hello world\nthis is not iCalendar')).toBe('');
    expect(calendarText(ics('SUMMARY;X="unterminated:value'))).toBe('');
    const started = performance.now();
    for (const filler of [';'.repeat(2_000_000), `X${';a='.repeat(500_000)}`, `X;a="${'"'.repeat(1_000_000)}`, '\r\n '.repeat(1_000_000), 'BEGIN:VALARM\n'.repeat(200_000)]) {
      expect(typeof calendarText(`BEGIN:VEVENT\n${filler}\nSUMMARY:S\nEND:VEVENT`)).toBe('string');
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
