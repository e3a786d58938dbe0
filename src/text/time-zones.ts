/**
 * IANA time zones for people (staff profiles, customers' browsers): which names are valid
 * (luxon, which asks the runtime's ICU), the list a profile offers, and the zone's short
 * name at an instant ("CET", "EDT", "GMT+5:30") for showing times with the zone named.
 */
import { DateTime, IANAZone } from 'luxon';

export const DEFAULT_TIME_ZONE = 'UTC';

/** The canonical name of a valid IANA zone (`europe/berlin` → `Europe/Berlin`), else null. */
export function normalizeTimeZone(name: string | null | undefined): string | null {
  if (!name || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return null;
  if (!IANAZone.isValidZone(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const usable = new Map<string, boolean>();

/**
 * The zone to show times in: `zone` when this runtime can, else UTC. A stored zone is checked
 * when it is saved, but a runtime with older time-zone data (a restored backup, a downgrade)
 * or a hand-edited row may not know it, and one unknown zone must not break every page its
 * owner opens (the profile page included, where it is fixed).
 */
export function displayZone(zone: string | null | undefined): string {
  if (!zone) return DEFAULT_TIME_ZONE;
  let ok = usable.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    if (usable.size < 1_000) usable.set(zone, ok);
  }
  return ok ? zone : DEFAULT_TIME_ZONE;
}

let zones: string[] | null = null;

/** Every zone the runtime knows, sorted, with UTC first: the profile's select. */
export function timeZoneNames(): string[] {
  if (!zones) {
    const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
    zones = [DEFAULT_TIME_ZONE, ...supported.filter((z) => z !== DEFAULT_TIME_ZONE && IANAZone.isValidZone(z)).sort()];
  }
  return zones;
}

const nameFormats = new Map<string, Intl.DateTimeFormat>();

function zoneNameIn(locale: string, zone: string, ms: number): string {
  const key = `${locale} ${zone}`;
  let format = nameFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' });
    nameFormats.set(key, format);
  }
  return format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/**
 * The zone's short name at `ms`: British names where they exist (CET, CEST, BST), else
 * American ones (EST, PDT), else the offset (GMT+5:30). `UTC` stays `UTC`.
 */
export function zoneAbbreviation(zone: string, ms: number): string {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  const british = zoneNameIn('en-GB', zone, ms);
  if (!/^(GMT|UTC)[+-]/.test(british)) return british;
  const american = zoneNameIn('en-US', zone, ms);
  return /^(GMT|UTC)[+-]/.test(american) ? british : american;
}

/**
 * An instant as people read it, in `zone` with the zone named: "Mon 9 Mar 2026, 06:00
 * (Europe/Berlin)" (mail text; a zone this runtime does not know reads as UTC, named so).
 */
export function formatInstantIn(ms: number, zone: string): string {
  const shown = displayZone(zone);
  return `${DateTime.fromMillis(ms, { zone: shown, locale: 'en-GB' }).toFormat('ccc d LLL yyyy, HH:mm')} (${shown})`;
}
