/**
 * IANA time zones for people (staff profiles, customers' browsers): which names are valid
 * (luxon, which asks the runtime's ICU), the list a profile offers, and the zone's short
 * name at an instant ("CET", "EDT", "GMT+5:30") for showing times with the zone named.
 *
 * Names are IANA's current ones. The runtime's ICU (CLDR) keeps the names a zone had when
 * CLDR first listed it, for stability: it resolves `Asia/Kolkata` to `Asia/Calcutta` and
 * lists `Asia/Katmandu`, `Europe/Kiev`, `America/Buenos_Aires` among its zones. IANA renamed
 * those long ago (the old names stay valid as links), so people look for and write the new
 * ones: `CURRENT_NAMES` turns CLDR's name back into IANA's wherever a name is shown or stored.
 */
import { DateTime, IANAZone } from 'luxon';

export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * CLDR's canonical name → IANA's current name, for the zones CLDR keeps under an older name
 * (CLDR's timezone.xml marks them with an `iana` attribute). Only entries this runtime knows
 * are used (a runtime with older data keeps the CLDR name).
 */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

let currentNames: Map<string, string> | null = null;

/** IANA's current name for CLDR's canonical `name` (itself when IANA did not rename it). */
function currentName(name: string): string {
  currentNames ??= new Map(Object.entries(RENAMED).filter(([, current]) => IANAZone.isValidZone(current)));
  return currentNames.get(name) ?? name;
}

/**
 * The canonical name of a valid IANA zone, else null: in IANA's current spelling and case
 * (`europe/berlin` → `Europe/Berlin`; `Asia/Kolkata` and `asia/calcutta` → `Asia/Kolkata`).
 */
export function normalizeTimeZone(name: string | null | undefined): string | null {
  if (!name || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return null;
  if (!IANAZone.isValidZone(name)) return null;
  try {
    return currentName(new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone);
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

/** Every zone the runtime knows, by IANA's current names, sorted, with UTC first: the profile's select. */
export function timeZoneNames(): string[] {
  if (!zones) {
    const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
    const names = new Set(supported.filter((z) => z !== DEFAULT_TIME_ZONE && IANAZone.isValidZone(z)).map(currentName));
    zones = [DEFAULT_TIME_ZONE, ...[...names].sort()];
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
  // Named as IANA names it now: a zone stored as Asia/Calcutta reads "(Asia/Kolkata)".
  return `${DateTime.fromMillis(ms, { zone: shown, locale: 'en-GB' }).toFormat('ccc d LLL yyyy, HH:mm')} (${normalizeTimeZone(shown) ?? shown})`;
}
