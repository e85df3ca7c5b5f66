/**
 * Recipient time zones: validate an IANA name from the file, or derive one
 * from the number's country when that is unambiguous. Uses the ICU data built
 * into Node, so there is no table to keep up to date.
 */

const validCache = new Map<string, string | null>();
const countryCache = new Map<string, string | null>();

/**
 * The zone as given when Intl knows it, or null. The name is NOT rewritten to
 * ICU's canonical form: ICU still resolves current IANA names to legacy
 * aliases (Asia/Kolkata → Asia/Calcutta, Europe/Kyiv → Europe/Kiev), and an
 * operator's file should say what they wrote. Only the letter case is fixed
 * when the resolved name is the same zone spelled differently ('europe/paris'
 * → 'Europe/Paris').
 */
export function canonicalTimeZone(name: string): string | null {
  let kept = validCache.get(name);
  if (kept === undefined) {
    try {
      const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
      kept = resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
    } catch {
      kept = null;
    }
    validCache.set(name, kept);
  }
  return kept;
}

/**
 * The country's zone when it has one, or several that keep the same clock all
 * year (DE: Berlin and Büsingen). Null when the clocks differ (US, CA, BR, AU,
 * RU, MX, ES with the Canaries…): a country cannot tell which, so the caller
 * falls back to the campaign's timezone.
 */
export function timeZoneForCountry(country: string): string | null {
  let zone = countryCache.get(country);
  if (zone === undefined) {
    zone = pickZone(zonesOfCountry(country));
    countryCache.set(country, zone);
  }
  return zone;
}

function zonesOfCountry(country: string): string[] {
  try {
    // Intl.Locale#timeZones (V8, Node 20) was renamed getTimeZones() later; accept both.
    const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] };
    return locale.getTimeZones?.() ?? locale.timeZones ?? [];
  } catch {
    return [];
  }
}

function pickZone(zones: readonly string[]): string | null {
  if (zones.length <= 1) return zones[0] ?? null;
  const reference = offsetsOverYear(zones[0]!);
  return zones.every((z) => offsetsOverYear(z) === reference) ? zones[0]! : null;
}

/** UTC offsets on the 1st and 15th of every month: catches DST and standard-time differences. */
function offsetsOverYear(zone: string): string {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  const year = new Date().getUTCFullYear();
  const offsets: string[] = [];
  for (let month = 0; month < 12; month++) {
    for (const day of [1, 15]) {
      const parts = format.formatToParts(Date.UTC(year, month, day, 12));
      offsets.push(parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
    }
  }
  return offsets.join(',');
}
