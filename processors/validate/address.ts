import { isStateCode, stateByCode } from '../../schemas/us-states';
import { zipDb, type ZipDb } from '../enrich/zipdb';
import { fail, ok, reason, type Reason, type RuleResult } from './reasons';

export interface NormalisedZip {
  state: string;
  /** 5 digits. */
  zip: string;
  zipPlus4: string | null;
}

const ZIP = /^(\d{5})(?:[-\s]?(\d{4}))?$/;

/** Splits a ZIP or ZIP+4 into its parts; null when it is neither. */
export function parseZip(input: string): { zip: string; plus4: string | null } | null {
  const match = ZIP.exec(input.trim());
  return match ? { zip: match[1]!, plus4: match[2] ?? null } : null;
}

/**
 * ZIP format and ZIP/state agreement against the offline ZIP data, military states (AA, AE, AP)
 * and territories included. A ZIP missing from the data passes with a warning when its 3-digit
 * prefix belongs to the state (new or unlisted ZIPs), and is rejected when the prefix belongs to
 * another state or to none. A state or ZIP that cannot be read is not quoted in the reason: it may
 * be a phone or a street in the wrong column.
 */
export function checkZipState(
  zipInput: string,
  stateInput: string,
  db: ZipDb = zipDb(),
): RuleResult<NormalisedZip> {
  const reasons: Reason[] = [];
  const state = stateInput.trim().toUpperCase();
  if (!isStateCode(state)) {
    reasons.push(reason('state_invalid', 'contact.state', 'contact.state is not a USPS state code'));
  }
  const parsed = parseZip(zipInput);
  if (!parsed) {
    reasons.push(reason('zip_invalid', 'contact.zip', 'contact.zip is not a 5-digit ZIP or ZIP+4'));
    return fail(reasons);
  }
  if (parsed.plus4 === '0000') parsed.plus4 = null;
  const known = db.lookup(parsed.zip);
  if (known) {
    if (reasons.length === 0 && known.state !== state) {
      reasons.push(
        reason(
          'zip_state_mismatch',
          'contact.zip',
          `ZIP ${parsed.zip} is in ${known.state} (${known.city}), not ${state}`,
        ),
      );
    }
    return reasons.length ? fail(reasons) : ok({ state, zip: parsed.zip, zipPlus4: parsed.plus4 });
  }
  const prefixStates = db.statesForPrefix(parsed.zip.slice(0, 3));
  if (prefixStates.size === 0) {
    reasons.push(reason('zip_unknown', 'contact.zip', `ZIP ${parsed.zip} is in no known ZIP range`));
    return fail(reasons);
  }
  if (reasons.length) return fail(reasons);
  if (!prefixStates.has(state)) {
    const where = [...prefixStates].join('/');
    reasons.push(
      reason('zip_state_mismatch', 'contact.zip', `ZIP ${parsed.zip} is in the ${where} range, not ${state}`),
    );
    return fail(reasons);
  }
  const name = stateByCode(state)?.name ?? state;
  return ok({ state, zip: parsed.zip, zipPlus4: parsed.plus4 }, [
    reason(
      'zip_not_in_dataset',
      'contact.zip',
      `ZIP ${parsed.zip} is not in the ZIP data but is in a ${name} range`,
    ),
  ]);
}
