import type { InsuranceLine } from '../../schemas/lead';
import { ageOn, compareDates, parseDateOnly, utcDate } from '../common/dates';
import { fail, ok, reason, type Reason, type RuleResult } from './reasons';

export interface DobOptions {
  now: number;
  minAge?: number;
  maxAge?: number;
}

/** Lines whose price and eligibility depend on age: the date of birth is required. */
export const DOB_REQUIRED_LINES: ReadonlySet<InsuranceLine> = new Set(['life', 'health', 'medicare']);

/**
 * Date-of-birth plausibility: a real calendar date, not in the future, age within 16..110 on the
 * UTC date of `now`. Required for life, health and medicare.
 */
export function checkDateOfBirth(
  dob: string | null,
  line: InsuranceLine | null,
  options: DobOptions,
  field = 'dateOfBirth',
): RuleResult<{ dateOfBirth: string | null; age: number | null }> {
  const minAge = options.minAge ?? 16;
  const maxAge = options.maxAge ?? 110;
  if (dob === null) {
    if (line && DOB_REQUIRED_LINES.has(line)) {
      return fail([reason('dob_missing', field, `date of birth is required for ${line} leads`)]);
    }
    return ok({ dateOfBirth: null, age: null });
  }
  const date = parseDateOnly(dob);
  if (!date)
    // The messages never quote the date: it is personal data, and they reach logs and webhooks.
    return fail([reason('dob_invalid', field, `${field} is not a calendar date (YYYY-MM-DD)`)]);
  const today = utcDate(options.now);
  if (compareDates(date, today) > 0)
    return fail([reason('dob_in_future', field, `${field} is in the future`)]);
  const age = ageOn(date, today);
  if (age < minAge || age > maxAge) {
    return fail([reason('dob_implausible', field, `age ${age} is outside ${minAge}..${maxAge}`)]);
  }
  const warnings: Reason[] = [];
  if (line === 'medicare' && age < 60) {
    warnings.push(
      reason('medicare_age_unlikely', field, `age ${age} is young for medicare (possible via disability)`),
    );
  }
  return ok({ dateOfBirth: dob, age }, warnings);
}
