import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';
import type { PhoneLineType } from '../../schemas/lead';
import { fail, ok, reason, type Reason, type ReasonCode, type RuleResult } from './reasons';

/**
 * Phone rules. Uses libphonenumber-js with its `max` metadata, which tells number types where the
 * numbering plan allows; for most US numbers it cannot (NANP mixes fixed and mobile lines in one
 * range), so they come out `fixed_line_or_mobile` and only numbers known to be fixed lines get the
 * landline warning.
 */

export interface NormalisedPhone {
  /** E.164, e.g. +14155552671. */
  e164: string;
  extension: string | null;
  lineType: PhoneLineType;
  /** ISO country of the number: US, PR, VI, GU, AS or MP. */
  country: string;
  areaCode: string;
}

/** NANP regions a US lead can have: the states plus the territories. */
const US_REGIONS = new Set(['US', 'PR', 'VI', 'GU', 'AS', 'MP']);
const TOLL_FREE = new Set(['800', '833', '844', '855', '866', '877', '888']);
/** Personal communications services area codes (NANPA 5XX). */
const PERSONAL = new Set([
  '500',
  '521',
  '522',
  '523',
  '524',
  '525',
  '526',
  '527',
  '528',
  '529',
  '533',
  '544',
  '566',
  '577',
  '588',
]);

const KEYPAD: Record<string, string> = {};
for (const [digit, letters] of Object.entries({
  2: 'ABC',
  3: 'DEF',
  4: 'GHI',
  5: 'JKL',
  6: 'MNO',
  7: 'PQRS',
  8: 'TUV',
  9: 'WXYZ',
})) {
  for (const letter of letters) KEYPAD[letter] = digit;
}

const EXTENSION = /\s*(?:[,;#]|\b(?:ext|extn|extension|x)\.?)\s*#?\s*(\d{1,7})\s*$/i;

/** Splits "415-867-5309 ext. 45" into the number and "45". */
export function splitExtension(text: string): { number: string; extension: string | null } {
  const match = EXTENSION.exec(text);
  if (!match || match.index === 0) return { number: text, extension: null };
  return { number: text.slice(0, match.index), extension: match[1]! };
}

/**
 * Converts a vanity number (1-800-FLOWERS, 415-GET-HELP) with the phone keypad. Vanity words are
 * often longer than the number; the extra letters are dropped, as a phone would ignore them.
 * Returns null when the text is not a vanity number.
 */
export function convertVanity(text: string): string | null {
  if (!/^[+\d\s().\-A-Za-z]+$/.test(text)) return null;
  const letters = text.match(/[A-Za-z]/g);
  if (!letters || letters.length < 2) return null;
  let digits = '';
  for (const char of text.toUpperCase()) {
    if (char >= '0' && char <= '9') digits += char;
    else if (KEYPAD[char]) digits += KEYPAD[char];
  }
  const hasPlus = text.trim().startsWith('+');
  const national = digits.startsWith('1') ? digits.slice(1) : digits;
  if (national.length < 10) return null;
  return `${hasPlus || digits.startsWith('1') ? '+1' : ''}${national.slice(0, 10)}`;
}

const LINE_TYPES: Partial<Record<NumberType & string, PhoneLineType>> = {
  MOBILE: 'mobile',
  FIXED_LINE: 'fixed_line',
  FIXED_LINE_OR_MOBILE: 'fixed_line_or_mobile',
  VOIP: 'voip',
  PAGER: 'pager',
  UAN: 'uan',
  VOICEMAIL: 'voicemail',
};

/**
 * Validates and normalises a US contact phone number. Messages name the field and the fault, at
 * most with the area code: they are logged and shown in dashboards, so they never hold the number.
 */
export function checkPhone(input: string, field = 'contact.phone'): RuleResult<NormalisedPhone> {
  const warnings: Reason[] = [];
  const reject = (code: ReasonCode, message: string) =>
    fail<NormalisedPhone>([reason(code, field, `${field} ${message}`)], warnings);
  const { number, extension } = splitExtension(input.trim());
  let text = number.trim();
  if (/[A-Za-z]/.test(text)) {
    const converted = convertVanity(text);
    if (!converted) return reject('phone_invalid', 'has letters but is not a vanity number');
    warnings.push(reason('phone_vanity', field, `${field} is a vanity number, read with the phone keypad`));
    text = converted;
  }
  if (extension)
    warnings.push(reason('phone_has_extension', field, `${field} has an extension, kept separately`));

  const parsed = parsePhoneNumberFromString(text, 'US');
  if (!parsed) return reject('phone_invalid', 'cannot be read as a phone number');
  if (parsed.countryCallingCode !== '1') {
    return reject('phone_not_us', `is not a US number (country code +${parsed.countryCallingCode})`);
  }
  const national = String(parsed.nationalNumber);
  if (national.length !== 10)
    return reject('phone_invalid', 'does not have 10 digits after the country code');
  const areaCode = national.slice(0, 3);
  const exchange = national.slice(3, 6);
  const line = national.slice(6);
  const e164 = `+1${national}`;

  if (TOLL_FREE.has(areaCode))
    return reject(
      'phone_toll_free',
      `is a toll-free number (area code ${areaCode}), not a personal contact number`,
    );
  if (areaCode === '900') return reject('phone_premium_rate', 'is a premium-rate (900) number');
  if (PERSONAL.has(areaCode))
    return reject('phone_personal_number', `is a personal-communications number (area code ${areaCode})`);
  if (exchange === '555' && line.startsWith('01')) {
    return reject('phone_fictitious', 'is in 555-0100..0199, reserved for fiction');
  }
  if (!parsed.isValid()) {
    return reject('phone_invalid', `is not a valid number (area code ${areaCode})`);
  }
  const country = parsed.country ?? 'US';
  if (!US_REGIONS.has(country)) return reject('phone_not_us', `is a ${country} number, not a US one`);
  const type = parsed.getType();
  if (type === 'TOLL_FREE') return reject('phone_toll_free', 'is a toll-free number');
  if (type === 'PREMIUM_RATE' || type === 'SHARED_COST') {
    return reject('phone_premium_rate', 'is a premium-rate or shared-cost number');
  }
  if (type === 'PERSONAL_NUMBER') return reject('phone_personal_number', 'is a personal number');

  const lineType = (type && LINE_TYPES[type]) ?? 'unknown';
  if (lineType === 'fixed_line')
    warnings.push(reason('phone_landline', field, `${field} is a landline (no SMS)`));
  if (lineType === 'voip') warnings.push(reason('phone_voip', field, `${field} is a VoIP number`));
  if (exchange === '555') {
    warnings.push(
      reason('phone_555_exchange', field, `${field} uses the 555 exchange, which is rarely assigned`),
    );
  }
  return ok({ e164, extension, lineType, country, areaCode }, warnings);
}

/**
 * The identity of a phone for duplicate detection and the do-not-contact list: E.164 without
 * extension, or null when it cannot be read as a +1 number. Lenient on purpose: a do-not-contact
 * entry for a number we would reject as a lead still has to match.
 */
export function phoneIdentity(input: string): string | null {
  const { number } = splitExtension(input.trim());
  let text = number.trim();
  if (/[A-Za-z]/.test(text)) {
    const converted = convertVanity(text);
    if (!converted) return null;
    text = converted;
  }
  const parsed = parsePhoneNumberFromString(text, 'US');
  if (!parsed || parsed.countryCallingCode !== '1') return null;
  const national = String(parsed.nationalNumber);
  return national.length === 10 ? `+1${national}` : null;
}
