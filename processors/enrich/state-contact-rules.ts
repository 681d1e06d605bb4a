/**
 * When a sales call may reach a lead: the federal rule, and the states whose telephone-solicitation
 * rules are stricter than it, as data with the text they come from. docs/compliance.md shows the
 * same table for people; keep the two in step.
 *
 * Hours are the called party's local wall clock, start inclusive and end exclusive. A state rule
 * is applied on top of the federal one, so it can only narrow the window. States whose sources we
 * could not pin down are left out rather than guessed (see docs/compliance.md); a lead there gets
 * the federal window. Many of these statutes exempt calls with consent or an existing business
 * relationship, and some exempt licensed insurance agents; the window ignores exemptions and
 * always applies the rule.
 */
import type { HolidayRule } from './holidays';

export interface WindowHours {
  /** Local hour the window opens (inclusive). */
  startHour: number;
  /** Local hour the window closes (exclusive). */
  endHour: number;
}

export interface HolidayClosure {
  /** Mon-Fri only: a holiday on a Saturday keeps the Saturday hours (Rhode Island). */
  weekdaysOnly: boolean;
  days: readonly HolidayRule[];
  /** The statute that says which days are holidays. */
  definedBy: string;
  url: string;
}

export interface CallingRule {
  /** The state's two-letter code, or `federal`. */
  rule: string;
  /** Allowed hours Monday to Friday, Saturday and Sunday; null means no calls that day. */
  weekday: WindowHours | null;
  saturday: WindowHours | null;
  sunday: WindowHours | null;
  /** Holidays on which no calls are allowed; null when the rule closes none. */
  holidays: HolidayClosure | null;
  citation: string;
  /** A public page where the cited text (or, where noted, a report of it) can be read. */
  url: string;
  /** The day the entry was last checked against its source. */
  asOf: string;
  /** How the data reads what the source leaves open. */
  note?: string;
}

const AS_OF = '2026-12-07';

const everyDay = (startHour: number, endHour: number) => {
  const hours = { startHour, endHour };
  return { weekday: hours, saturday: hours, sunday: hours };
};

export const FEDERAL_CALLING_RULE: CallingRule = {
  rule: 'federal',
  ...everyDay(8, 21),
  holidays: null,
  citation: '47 CFR 64.1200(c)(1)',
  url: 'http://edocket.access.gpo.gov/cfr_2008/octqtr/47cfr64.1200.htm',
  asOf: AS_OF,
};

/** Federal legal public holidays, kept on the Friday or Monday when they fall on a weekend. */
const FEDERAL_HOLIDAYS: HolidayRule[] = (
  [
    'newYearsDay',
    'martinLutherKingDay',
    'washingtonsBirthday',
    'memorialDay',
    'juneteenth',
    'independenceDay',
    'laborDay',
    'columbusDay',
    'veteransDay',
    'thanksgivingDay',
    'christmasDay',
  ] as const
).map((holiday) => ({ holiday, observance: 'weekend to nearest weekday' }));

export const STATE_CONTACT_RULES: Readonly<Record<string, CallingRule>> = {
  AL: {
    rule: 'AL',
    weekday: { startHour: 8, endHour: 20 },
    saturday: { startHour: 8, endHour: 20 },
    sunday: null,
    holidays: {
      weekdaysOnly: false,
      // § 1-3-8(a) also names Robert E. Lee's birthday (with Dr. King's), Thomas Jefferson's (with
      // Washington's), Fraternal Day and American Indian Heritage Day (with Columbus Day): the
      // same days. Mardi Gras, a holiday only in Baldwin and Mobile counties, is not computed.
      days: (
        [
          'newYearsDay',
          'martinLutherKingDay',
          'washingtonsBirthday',
          'confederateMemorialDay',
          'memorialDay',
          'jeffersonDavisBirthday',
          'independenceDay',
          'laborDay',
          'columbusDay',
          'veteransDay',
          'thanksgivingDay',
          'christmasDay',
        ] as const
      ).map((holiday) => ({ holiday, observance: 'weekend to nearest weekday' })),
      definedBy: 'Ala. Code § 1-3-8',
      url: 'https://law.uslawyerdatabase.com/section-1-3-8-holidays-enumerated-personal-leave-days-state-holidays-observed-by-closing-of-state-offices-compensatory-leave-days',
    },
    citation: 'Ala. Admin. Code r. 770-X-5-.17(1)(b)',
    url: 'https://d1tvxue8o4w0fl.cloudfront.net/regulation/alabama-administrative-code/title-770-alabama-public-service-commission/chapter-770-x-5-telephone-rules/section-770-x-5-17-live-and-automated-solicitations-and-announcements',
    asOf: AS_OF,
    note:
      'The rule text we read is stated for automated solicitation calls; it is applied to every call. ' +
      '"Holidays" is read as the state holidays of Ala. Code § 1-3-8; Thanksgiving is "the day designated ' +
      'by the Governor", taken as the fourth Thursday of November. Days the Governor proclaims are not computed.',
  },
  CT: {
    rule: 'CT',
    ...everyDay(9, 20),
    holidays: null,
    citation: 'Conn. Gen. Stat. § 42-288a, as amended by P.A. 23-98 (in force 2023-10-01)',
    url: 'https://cga.ct.gov/current/pub/chap_743m.htm',
    asOf: AS_OF,
    note: 'P.A. 23-98 moved the end of the day from 9 p.m. to 8 p.m. (reported by TCPAWorld, 2023-06-28).',
  },
  FL: {
    rule: 'FL',
    ...everyDay(8, 20),
    holidays: null,
    citation: 'Fla. Stat. § 501.616(6)(a)',
    url: 'http://www.lawserver.com/law/state/florida/statutes/florida_statutes_501-616',
    asOf: AS_OF,
  },
  MA: {
    rule: 'MA',
    ...everyDay(8, 20),
    holidays: null,
    citation: '201 CMR 12.02(2) (under M.G.L. c. 159C)',
    url: 'https://regulations.justia.com/states/massachusetts/201-cmr/title-201-cmr-12-00/section-12-02',
    asOf: AS_OF,
  },
  MD: {
    rule: 'MD',
    ...everyDay(8, 20),
    holidays: null,
    citation:
      'Md. Code, Com. Law § 14-4501 et seq. (Stop the Spam Calls Act of 2023, S.B. 90; in force 2024-01-01)',
    url: 'https://www.wmar2news.com/local/law-to-prevent-spam-calls-takes-effect-first-of-the-year',
    asOf: AS_OF,
    note: 'Hours from reports of the Act (WMAR, DNC.com); the subsection with the hours was not read.',
  },
  MS: {
    rule: 'MS',
    weekday: { startHour: 8, endHour: 20 },
    saturday: { startHour: 8, endHour: 20 },
    sunday: null,
    holidays: null,
    citation: 'Miss. Code Ann. § 77-3-723(1)',
    url: 'https://getpocketlaw.com/law/state_mississippi/section-77-3-723-rules-for-authorized-calls_57b73fa7ff73',
    asOf: AS_OF,
    note:
      'The statute says "Central Standard Time"; Mississippi keeps Central time, so the lead\'s local ' +
      'clock is used. Legal holidays are no longer closed: the Public Service Commission rule that ' +
      'closed them was repealed after H.B. 1225 (2023) (DNC.com, 2024-06-03).',
  },
  OK: {
    rule: 'OK',
    ...everyDay(8, 20),
    holidays: null,
    citation:
      'Okla. Stat. tit. 15, § 775C.4 (Telephone Solicitation Act of 2022, H.B. 3168; in force 2022-11-01)',
    url: 'https://app.legiplex.com/ok/legislature/2022/2022-r/bills/hb3168/drafts-latest',
    asOf: AS_OF,
    note: 'Hours from reports of the Act (DNC.com); the enrolled bill sets the time frame in § 775C.4.',
  },
  RI: {
    rule: 'RI',
    weekday: { startHour: 9, endHour: 18 },
    saturday: { startHour: 10, endHour: 17 },
    sunday: null,
    holidays: {
      weekdaysOnly: true,
      days: [
        { holiday: 'newYearsDay', observance: 'weekend to Monday' },
        { holiday: 'martinLutherKingDay', observance: 'on its date' },
        { holiday: 'washingtonsBirthday', observance: 'on its date' },
        { holiday: 'rhodeIslandIndependenceDay', observance: 'Sunday to Monday' },
        { holiday: 'memorialDay', observance: 'on its date' },
        { holiday: 'independenceDay', observance: 'weekend to Monday' },
        { holiday: 'victoryDay', observance: 'on its date' },
        { holiday: 'laborDay', observance: 'on its date' },
        { holiday: 'columbusDay', observance: 'on its date' },
        { holiday: 'evenYearElectionDay', observance: 'on its date' },
        { holiday: 'veteransDay', observance: 'weekend to Monday' },
        { holiday: 'christmasDay', observance: 'weekend to Monday' },
        ...FEDERAL_HOLIDAYS,
      ],
      definedBy: 'R.I. Gen. Laws § 25-1-1 (state holidays) and 5 U.S.C. § 6103 (federal holidays)',
      url: 'https://unicourt.github.io/cic-code-ri/transforms/ri/ocri/r71/gov.ri.code.title.25.html',
    },
    citation: 'R.I. Gen. Laws § 5-61-3.6 ("hours of operation" as defined in § 5-61-2)',
    url: 'http://webserver.rilin.state.ri.us/Statutes/TITLE5/5-61/5-61-3.6.HTM',
    asOf: AS_OF,
    note:
      '"Monday through Friday, except a state or federal holiday, 9 a.m. to 6 p.m.; Saturday 10 a.m. to ' +
      '5 p.m.": Sunday is not an hour of operation. Days the Governor, General Assembly or President ' +
      'proclaim are not computed.',
  },
  TX: {
    rule: 'TX',
    weekday: { startHour: 9, endHour: 21 },
    saturday: { startHour: 9, endHour: 21 },
    sunday: { startHour: 12, endHour: 21 },
    holidays: null,
    citation: 'Tex. Bus. & Com. Code § 301.051(b)(2)',
    url: 'https://app.legiplex.com/tx/legislature/2023/88-0/bills/hb4403/drafts-compare',
    asOf: AS_OF,
    note:
      'Read as the current text quoted in 2023 H.B. 4403, which proposed 10 a.m. to 6 p.m. on weekdays ' +
      'and Saturdays; we found no sign that change passed.',
  },
  UT: {
    rule: 'UT',
    weekday: { startHour: 8, endHour: 21 },
    saturday: { startHour: 8, endHour: 21 },
    sunday: null,
    holidays: {
      weekdaysOnly: false,
      days: [
        { holiday: 'newYearsDay', observance: 'weekend to nearest weekday' },
        { holiday: 'martinLutherKingDay', observance: 'on its date' },
        { holiday: 'washingtonsBirthday', observance: 'on its date' },
        { holiday: 'goodFriday', observance: 'on its date' },
        { holiday: 'memorialDay', observance: 'on its date' },
        { holiday: 'juneteenth', observance: 'to a Monday' },
        { holiday: 'independenceDay', observance: 'weekend to nearest weekday' },
        { holiday: 'pioneerDay', observance: 'weekend to nearest weekday' },
        { holiday: 'laborDay', observance: 'on its date' },
        { holiday: 'columbusDay', observance: 'on its date' },
        { holiday: 'veteransDay', observance: 'weekend to nearest weekday' },
        { holiday: 'thanksgivingDay', observance: 'on its date' },
        { holiday: 'christmasDay', observance: 'weekend to nearest weekday' },
      ],
      definedBy: 'Utah Code § 63G-1-301',
      url: 'https://self-law.org/code/ut/title-63g/chapter-1/1',
    },
    citation: 'Utah Code § 13-25a-103(3)',
    url: 'https://codes.findlaw.com/ut/title-13-commerce-and-trade/ut-code-sect-13-25a-103/',
    asOf: AS_OF,
    note:
      'Every Sunday is also a legal holiday. Good Friday is in the text in force from 2026-05-06 "subject ' +
      'to Subsection (6)", which we could not read, so it is closed to be safe; the version in force from ' +
      '2027-01-01 was not found. Days the Governor or President proclaim are not computed.',
  },
  WA: {
    rule: 'WA',
    ...everyDay(8, 20),
    holidays: null,
    citation: 'RCW 80.36.390 and RCW 19.158.040(2), as amended by E.S.H.B. 1497 (2022)',
    url: 'https://app.leg.wa.gov/RCW/default.aspx?cite=19.158.040',
    asOf: AS_OF,
  },
};

/** The rule for a lead's state: the state's own when it has one, else the federal rule alone. */
export function callingRuleFor(state: string | null | undefined): CallingRule {
  return (state && STATE_CONTACT_RULES[state.toUpperCase()]) || FEDERAL_CALLING_RULE;
}
