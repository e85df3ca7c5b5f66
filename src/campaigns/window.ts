import type { DialSettings } from './settings.js';

/**
 * Calling windows in the recipient's local time, with the ICU data built into
 * Node (Intl.DateTimeFormat), so DST changes need no table of our own.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  return f;
}

/** Weekday (0 = Sunday) and minutes since local midnight at `epochMs` in `timeZone`. */
export function localTime(epochMs: number, timeZone: string): { day: number; minutes: number } {
  const parts = formatFor(timeZone).formatToParts(epochMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: WEEKDAYS[get('weekday')] ?? 0, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * Whether a recipient in `timeZone` may be called at `epochMs`. A window whose
 * end is before its start spans midnight (22:00–02:00); the weekday is the one
 * on which the window opened, so 'fri 22:00–02:00' allows Saturday 01:00.
 */
export function isCallable(epochMs: number, timeZone: string, rules: Pick<DialSettings, 'window' | 'days'>): boolean {
  const { day, minutes } = localTime(epochMs, timeZone);
  if (!rules.window) return rules.days.includes(day);
  const start = minutesOf(rules.window.start);
  const end = minutesOf(rules.window.end);
  if (start === end) return rules.days.includes(day);
  if (start < end) return minutes >= start && minutes < end && rules.days.includes(day);
  if (minutes >= start) return rules.days.includes(day);
  return minutes < end && rules.days.includes((day + 6) % 7);
}
