/**
 * Agents' working hours and local days, in their own time zones (DST included, through Intl).
 *
 * Routing asks for local times of dozens of agents for every lead, which is too often for Intl
 * (a few microseconds a call). A zone's UTC offset only changes at a DST transition, and every
 * transition falls on a quarter hour UTC (offsets are whole quarter hours), so an offset looked up
 * once is exact for the rest of its quarter hour: each zone keeps its last one.
 */
import { localParts, zonedTimeToEpoch } from '../enrich/contact-window';
import type { WorkingHours } from '../../schemas/routing-records';

const MINUTE_MS = 60_000;
const QUARTER_HOUR_MS = 15 * MINUTE_MS;

const lastOffset = new Map<string, { quarter: number; offsetMs: number }>();

function offsetMs(now: number, timeZone: string): number {
  const quarter = Math.floor(now / QUARTER_HOUR_MS);
  const cached = lastOffset.get(timeZone);
  if (cached?.quarter === quarter) return cached.offsetMs;
  const start = quarter * QUARTER_HOUR_MS;
  const p = localParts(start, timeZone);
  const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - start;
  lastOffset.set(timeZone, { quarter, offsetMs: offset });
  return offset;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  minuteOfDay: number;
}

function wallClock(now: number, timeZone: string): WallClock {
  const local = new Date(now + offsetMs(now, timeZone));
  const weekday = local.getUTCDay();
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    weekday: weekday === 0 ? 7 : weekday,
    minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

const clocks = new Map<string, number | null>();

/** HH:MM -> minutes after midnight, or null when malformed. */
export function parseClock(text: string): number | null {
  let minutes = clocks.get(text);
  if (minutes === undefined) {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
    minutes = match ? Number(match[1]) * 60 + Number(match[2]) : null;
    if (clocks.size < 10_000) clocks.set(text, minutes);
  }
  return minutes;
}

export interface Availability {
  inHours: boolean;
  /** `now` when in hours, else the start of the next shift (Infinity when the agent has no working days). */
  availableAt: number;
}

/** Whether `now` falls in the agent's working hours, and if not, when the next shift starts. */
export function availability(hours: WorkingHours, now: number): Availability {
  const start = parseClock(hours.start);
  const end = parseClock(hours.end);
  if (start === null || end === null || end <= start || hours.days.length === 0) {
    return { inHours: false, availableAt: Infinity };
  }
  const local = wallClock(now, hours.timeZone);
  if (hours.days.includes(local.weekday) && local.minuteOfDay >= start && local.minuteOfDay < end) {
    return { inHours: true, availableAt: now };
  }
  return { inHours: false, availableAt: nextShiftStart(hours, start, local) };
}

// The next shift start depends only on the local date and on whether today's start is still
// ahead; profiles are replaced, never changed in place, so each keeps its last answer.
const lastShift = new WeakMap<WorkingHours, { key: number; startsAt: number }>();

function nextShiftStart(hours: WorkingHours, start: number, local: WallClock): number {
  const beforeStart = local.minuteOfDay < start;
  const key = ((local.year * 13 + local.month) * 32 + local.day) * 2 + Number(beforeStart);
  const cached = lastShift.get(hours);
  if (cached?.key === key) return cached.startsAt;
  let startsAt = Infinity;
  for (let offset = beforeStart ? 0 : 1; offset <= 7 && startsAt === Infinity; offset++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + offset));
    const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
    if (!hours.days.includes(weekday)) continue;
    startsAt = zonedTimeToEpoch(
      {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: Math.floor(start / 60),
        minute: start % 60,
      },
      hours.timeZone,
    );
  }
  lastShift.set(hours, { key, startsAt });
  return startsAt;
}

/** The agent's local date (YYYY-MM-DD): daily capacity resets at local midnight. */
export function localDay(now: number, timeZone: string): string {
  const p = wallClock(now, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/**
 * The local periods a count in `timeZone` falls in: day (YYYY-MM-DD), ISO week (YYYY-Www, weeks
 * start on Monday and belong to the year of their Thursday) and month (YYYY-MM).
 */
export function localPeriods(now: number, timeZone: string): { day: string; week: string; month: string } {
  const p = wallClock(now, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const thursday = new Date(Date.UTC(p.year, p.month - 1, p.day + 4 - p.weekday));
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * 86_400_000)) + 1;
  return {
    day: `${p.year}-${pad(p.month)}-${pad(p.day)}`,
    week: `${weekYear}-W${pad(week)}`,
    month: `${p.year}-${pad(p.month)}`,
  };
}
