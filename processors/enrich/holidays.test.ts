import { dateKey, easterSunday, HOLIDAY_DATES, holidayDates, isHoliday, type HolidayName } from './holidays';

const key = (name: HolidayName, year: number) => {
  const date = HOLIDAY_DATES[name](year);
  return date && dateKey(date);
};

describe('holiday dates', () => {
  it.each([
    ['newYearsDay', 2026, '2026-01-01'],
    ['martinLutherKingDay', 2026, '2026-01-19'],
    ['washingtonsBirthday', 2026, '2026-02-16'],
    ['goodFriday', 2026, '2026-04-03'],
    ['confederateMemorialDay', 2026, '2026-04-27'],
    ['rhodeIslandIndependenceDay', 2026, '2026-05-04'],
    ['memorialDay', 2026, '2026-05-25'],
    ['memorialDay', 2027, '2027-05-31'],
    ['jeffersonDavisBirthday', 2026, '2026-06-01'],
    ['juneteenth', 2026, '2026-06-19'],
    ['independenceDay', 2026, '2026-07-04'],
    ['pioneerDay', 2026, '2026-07-24'],
    ['victoryDay', 2026, '2026-08-10'],
    ['laborDay', 2026, '2026-09-07'],
    ['columbusDay', 2026, '2026-10-12'],
    ['evenYearElectionDay', 2026, '2026-11-03'],
    ['evenYearElectionDay', 2027, null],
    ['veteransDay', 2026, '2026-11-11'],
    ['thanksgivingDay', 2025, '2025-11-27'],
    ['thanksgivingDay', 2026, '2026-11-26'],
    ['christmasDay', 2026, '2026-12-25'],
  ] as const)('%s %i is %s', (name, year, expected) => {
    expect(key(name, year)).toBe(expected);
  });

  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
  ])('Easter Sunday %i is %s', (year, expected) => {
    expect(dateKey(easterSunday(year))).toBe(expected);
  });
});

describe('observance', () => {
  const dates = (...args: Parameters<typeof holidayDates>) => holidayDates(...args).map(dateKey);

  it('keeps a weekend holiday on its date and on the weekday its statute names', () => {
    // 2027-12-25 is a Saturday, 2027-07-04 a Sunday.
    expect(dates({ holiday: 'christmasDay', observance: 'weekend to nearest weekday' }, 2027)).toEqual([
      '2027-12-25',
      '2027-12-24',
    ]);
    expect(dates({ holiday: 'christmasDay', observance: 'weekend to Monday' }, 2027)).toEqual([
      '2027-12-25',
      '2027-12-27',
    ]);
    expect(dates({ holiday: 'independenceDay', observance: 'weekend to nearest weekday' }, 2027)).toEqual([
      '2027-07-04',
      '2027-07-05',
    ]);
    expect(dates({ holiday: 'christmasDay', observance: 'Sunday to Monday' }, 2027)).toEqual(['2027-12-25']);
    expect(dates({ holiday: 'christmasDay', observance: 'on its date' }, 2027)).toEqual(['2027-12-25']);
    expect(dates({ holiday: 'christmasDay', observance: 'weekend to Monday' }, 2026)).toEqual(['2026-12-25']);
  });

  it("moves Utah's Juneteenth to a Monday", () => {
    const juneteenth = (year: number) => dates({ holiday: 'juneteenth', observance: 'to a Monday' }, year);
    expect(juneteenth(2026)).toEqual(['2026-06-19', '2026-06-15']); // Friday: the Monday before
    expect(juneteenth(2027)).toEqual(['2027-06-19', '2027-06-21']); // Saturday: the Monday after
    expect(juneteenth(2028)).toEqual(['2028-06-19']); // a Monday already
  });

  it('closes a day of the year before when New Year is kept on 31 December', () => {
    const newYear = [{ holiday: 'newYearsDay', observance: 'weekend to nearest weekday' }] as const;
    // 2022-01-01 is a Saturday.
    expect(isHoliday(newYear, { year: 2021, month: 12, day: 31 })).toBe(true);
    expect(isHoliday(newYear, { year: 2022, month: 1, day: 1 })).toBe(true);
    expect(isHoliday(newYear, { year: 2021, month: 12, day: 30 })).toBe(false);
    expect(isHoliday(newYear, { year: 2022, month: 1, day: 3 })).toBe(false);
  });
});
