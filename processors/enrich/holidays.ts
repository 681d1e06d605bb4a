/**
 * The holidays that state calling rules close, computed per year as calendar dates. A date here
 * has no time zone: callers ask with the lead's local date, read in the lead's own zone.
 */

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

export const SUNDAY = 0;
const MONDAY = 1;
const TUESDAY = 2;
const THURSDAY = 4;
const FRIDAY = 5;
export const SATURDAY = 6;

const DAY_MS = 86_400_000;

/** 0 = Sunday ... 6 = Saturday, as Date#getUTCDay counts. */
export function dayOfWeek(date: CalendarDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function dateKey(date: CalendarDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** The nth (1-based) given weekday of a month, e.g. the third Monday of January. */
export function nthWeekday(year: number, month: number, weekday: number, n: number): CalendarDate {
  const first = { year, month, day: 1 };
  return addDays(first, ((weekday - dayOfWeek(first) + 7) % 7) + 7 * (n - 1));
}

export function lastWeekday(year: number, month: number, weekday: number): CalendarDate {
  const last = addDays({ year: month === 12 ? year + 1 : year, month: (month % 12) + 1, day: 1 }, -1);
  return addDays(last, -((dayOfWeek(last) - weekday + 7) % 7));
}

/** Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): CalendarDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { year, month, day };
}

const fixed = (month: number, day: number) => (year: number) => ({ year, month, day });

/** Each holiday's date in a year; null in a year it does not happen. */
export const HOLIDAY_DATES = {
  newYearsDay: fixed(1, 1),
  martinLutherKingDay: (year: number) => nthWeekday(year, 1, MONDAY, 3),
  washingtonsBirthday: (year: number) => nthWeekday(year, 2, MONDAY, 3),
  goodFriday: (year: number) => addDays(easterSunday(year), -2),
  confederateMemorialDay: (year: number) => nthWeekday(year, 4, MONDAY, 4),
  rhodeIslandIndependenceDay: fixed(5, 4),
  memorialDay: (year: number) => lastWeekday(year, 5, MONDAY),
  jeffersonDavisBirthday: (year: number) => nthWeekday(year, 6, MONDAY, 1),
  juneteenth: fixed(6, 19),
  independenceDay: fixed(7, 4),
  pioneerDay: fixed(7, 24),
  victoryDay: (year: number) => nthWeekday(year, 8, MONDAY, 2),
  laborDay: (year: number) => nthWeekday(year, 9, MONDAY, 1),
  columbusDay: (year: number) => nthWeekday(year, 10, MONDAY, 2),
  // The Tuesday after the first Monday of November, in the even years Rhode Island elects its
  // state officers.
  evenYearElectionDay: (year: number): CalendarDate | null =>
    year % 2 === 0 ? addDays(nthWeekday(year, 11, MONDAY, 1), 1) : null,
  veteransDay: fixed(11, 11),
  thanksgivingDay: (year: number) => nthWeekday(year, 11, THURSDAY, 4),
  christmasDay: fixed(12, 25),
} satisfies Record<string, (year: number) => CalendarDate | null>;

export type HolidayName = keyof typeof HOLIDAY_DATES;

/**
 * Where a statute moves a holiday that falls on a weekend (or, for Utah's Juneteenth, onto a
 * Monday). The holiday is kept on its own date too: blocking one day too many is the safe error.
 */
export type Observance =
  'on its date' | 'Sunday to Monday' | 'weekend to Monday' | 'weekend to nearest weekday' | 'to a Monday';

function movedTo(date: CalendarDate, observance: Observance): CalendarDate | null {
  const weekday = dayOfWeek(date);
  switch (observance) {
    case 'on its date':
      return null;
    case 'Sunday to Monday':
      return weekday === SUNDAY ? addDays(date, 1) : null;
    case 'weekend to Monday':
      return weekday === SATURDAY ? addDays(date, 2) : weekday === SUNDAY ? addDays(date, 1) : null;
    case 'weekend to nearest weekday':
      return weekday === SATURDAY ? addDays(date, -1) : weekday === SUNDAY ? addDays(date, 1) : null;
    case 'to a Monday':
      if (weekday === SATURDAY) return addDays(date, 2);
      if (weekday === SUNDAY) return addDays(date, 1);
      return weekday >= TUESDAY && weekday <= FRIDAY ? addDays(date, MONDAY - weekday) : null;
  }
}

export interface HolidayRule {
  holiday: HolidayName;
  observance: Observance;
}

/** The dates a holiday closes in a year: its own date, and the day its statute moves it to. */
export function holidayDates(rule: HolidayRule, year: number): CalendarDate[] {
  const date = HOLIDAY_DATES[rule.holiday](year);
  if (date === null) return [];
  const moved = movedTo(date, rule.observance);
  return moved ? [date, moved] : [date];
}

const closedDaysByList = new WeakMap<readonly HolidayRule[], Map<number, Set<string>>>();

/** Whether a date is closed by any of the holidays in a list. */
export function isHoliday(rules: readonly HolidayRule[], date: CalendarDate): boolean {
  let byYear = closedDaysByList.get(rules);
  if (!byYear) {
    byYear = new Map();
    closedDaysByList.set(rules, byYear);
  }
  let closed = byYear.get(date.year);
  if (!closed) {
    closed = new Set();
    // A holiday moved across New Year (1 January on a Saturday, kept on 31 December) closes a
    // day of the neighbouring year.
    for (const year of [date.year - 1, date.year, date.year + 1]) {
      for (const rule of rules) {
        for (const day of holidayDates(rule, year)) if (day.year === date.year) closed.add(dateKey(day));
      }
    }
    byYear.set(date.year, closed);
  }
  return closed.has(dateKey(date));
}
