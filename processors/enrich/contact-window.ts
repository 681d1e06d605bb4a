/**
 * Lead-local contact window (TCPA quiet hours): calls only between startHour (default 8:00) and
 * endHour (default 21:00) in the lead's time zone. Uses Intl with the IANA zone, so DST changes
 * and midnight are handled by the platform's time zone data.
 */

export interface WindowHours {
  /** Local hour the window opens (inclusive). Default 8. */
  startHour: number;
  /** Local hour the window closes (exclusive). Default 21. */
  endHour: number;
}

export const DEFAULT_WINDOW: WindowHours = { startHour: 8, endHour: 21 };

export interface WindowResult {
  allowedNow: boolean;
  /** `now` when allowed now, else the next instant the window opens (startHour:00 local). */
  nextAllowedAt: number;
  /** Local wall time at `now`, ISO 8601 with offset, e.g. 2024-03-10T07:59:00-04:00. */
  localTime: string;
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

/** Whether a lead may be called at `now`, and when next. */
export function contactWindow(
  now: number,
  timeZone: string,
  hours: WindowHours = DEFAULT_WINDOW,
): WindowResult {
  const p = localParts(now, timeZone);
  const localTime = formatLocalTime(now, timeZone);
  if (p.hour >= hours.startHour && p.hour < hours.endHour)
    return { allowedNow: true, nextAllowedAt: now, localTime };
  // Before the window: today at startHour; after it: tomorrow at startHour.
  const day = p.hour < hours.startHour ? { year: p.year, month: p.month, day: p.day } : nextDay(p);
  let next = zonedTimeToEpoch({ ...day, hour: hours.startHour }, timeZone);
  if (next <= now) next = zonedTimeToEpoch({ ...nextDay({ ...day }), hour: hours.startHour }, timeZone);
  return { allowedNow: false, nextAllowedAt: next, localTime };
}

function nextDay(date: { year: number; month: number; day: number }): {
  year: number;
  month: number;
  day: number;
} {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
