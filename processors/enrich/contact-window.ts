/**
 * Lead-local contact window: when a sales call may reach a lead, under the federal quiet hours
 * (8:00-21:00, 47 CFR 64.1200(c)(1)), the lead's state rule (state-contact-rules.ts: shorter
 * hours, closed Sundays and holidays) and the operator's own calling hours, each of which can only
 * narrow the others. Uses Intl with the IANA zone, so DST changes and midnight are handled by the
 * platform's time zone data.
 */
import { addDays, dayOfWeek, isHoliday, SATURDAY, SUNDAY, type CalendarDate } from './holidays';
import {
  callingRuleFor,
  FEDERAL_CALLING_RULE,
  type CallingRule,
  type WindowHours,
} from './state-contact-rules';

export type { WindowHours };

/** The federal window, which is also the widest an operator's hours can ask for. */
export const DEFAULT_WINDOW: WindowHours = FEDERAL_CALLING_RULE.weekday!;

export interface WindowResult {
  allowedNow: boolean;
  /** `now` when allowed now, else the next instant a window opens. */
  nextAllowedAt: number;
  /** Local wall time at `now`, ISO 8601 with offset, e.g. 2024-03-10T07:59:00-04:00. */
  localTime: string;
  /** Local hours of the window open now, or of the next one. */
  startHour: number;
  endHour: number;
  /** The rule that set the window: the lead's state code, or `federal`. */
  rule: string;
  citation: string;
}

export interface ContactWindowOptions {
  /** The lead's two-letter state; null or a state without its own rule means the federal rule. */
  state?: string | null;
  /** The operator's calling hours, e.g. an agency that calls 9-17 only. */
  hours?: WindowHours;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** True when the platform knows the IANA zone. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock parts of an instant in a zone. */
export function localParts(epochMs: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of the zone from UTC at an instant, in minutes (e.g. -240 for EDT). */
export function offsetMinutes(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/**
 * The instant a local wall time occurs in a zone. In a DST overlap, the earlier instant; in a gap
 * (the wall time does not exist), it is shifted forward by the gap length.
 */
export function zonedTimeToEpoch(
  local: { year: number; month: number; day: number; hour: number; minute?: number },
  timeZone: string,
): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute ?? 0);
  // Try the offsets in force around the wall time; keep the candidates that really show it.
  const offsets = new Set([
    offsetMinutes(wall - 86_400_000, timeZone),
    offsetMinutes(wall + 86_400_000, timeZone),
  ]);
  const matches: number[] = [];
  for (const offset of offsets) {
    const candidate = wall - offset * 60_000;
    const p = localParts(candidate, timeZone);
    if (Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall) matches.push(candidate);
  }
  if (matches.length) return Math.min(...matches);
  // In a gap (clocks jump forward): read the wall time with the offset before the jump, which lands
  // as far after the gap as the wall time was into it (02:30 in a 02:00-03:00 gap -> 03:30).
  return wall - offsetMinutes(wall - 86_400_000, timeZone) * 60_000;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function formatLocalTime(epochMs: number, timeZone: string): string {
  const p = localParts(epochMs, timeZone);
  const offset = offsetMinutes(epochMs, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

// Long enough for any weekly pattern and the holidays that close it: in some years Christmas and
// New Year's Day are both Saturdays, so a Saturday-only window can stay shut for three weeks.
const LOOKAHEAD_DAYS = 31;

function ruleHours(rule: CallingRule, date: CalendarDate): WindowHours | null {
  const weekday = dayOfWeek(date);
  const weekend = weekday === SUNDAY || weekday === SATURDAY;
  const hours = weekday === SUNDAY ? rule.sunday : weekday === SATURDAY ? rule.saturday : rule.weekday;
  if (!hours) return null;
  const closure = rule.holidays;
  if (closure && !(closure.weekdaysOnly && weekend) && isHoliday(closure.days, date)) return null;
  return hours;
}

/** The hours every rule and the operator allow on a local date; null when the day is closed. */
function openHours(rule: CallingRule, operator: WindowHours, date: CalendarDate): WindowHours | null {
  let startHour = operator.startHour;
  let endHour = operator.endHour;
  for (const applied of [FEDERAL_CALLING_RULE, rule]) {
    const hours = ruleHours(applied, date);
    if (!hours) return null;
    startHour = Math.max(startHour, hours.startHour);
    endHour = Math.min(endHour, hours.endHour);
  }
  return startHour < endHour ? { startHour, endHour } : null;
}

/**
 * Whether a lead may be called at `now`, and when next; null when the state's rule and the
 * operator's hours never overlap, so the lead can never be called.
 */
export function contactWindow(
  now: number,
  timeZone: string,
  options: ContactWindowOptions = {},
): WindowResult | null {
  const rule = callingRuleFor(options.state);
  const operator = options.hours ?? DEFAULT_WINDOW;
  const p = localParts(now, timeZone);
  const today = { year: p.year, month: p.month, day: p.day };
  const about = { localTime: formatLocalTime(now, timeZone), rule: rule.rule, citation: rule.citation };
  for (let days = 0; days <= LOOKAHEAD_DAYS; days++) {
    const date = addDays(today, days);
    const open = openHours(rule, operator, date);
    if (!open) continue;
    if (days === 0 && p.hour >= open.startHour) {
      if (p.hour < open.endHour) return { allowedNow: true, nextAllowedAt: now, ...open, ...about };
      continue;
    }
    const opensAt = zonedTimeToEpoch({ ...date, hour: open.startHour }, timeZone);
    if (opensAt > now) return { allowedNow: false, nextAllowedAt: opensAt, ...open, ...about };
  }
  return null;
}
