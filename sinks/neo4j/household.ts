import type { Blind } from '../../processors/validate/identities';

/** The parts of a lead's contact a household is recognised by. */
export interface HouseholdContact {
  lastName: string;
  addressLine1: string | null;
  addressLine2: string | null;
  state: string;
  zip: string;
}

// USPS street suffix and unit abbreviations (Publication 28), for the variants vendors send most.
const ABBREVIATIONS: Record<string, string> = {
  street: 'st',
  avenue: 'ave',
  av: 'ave',
  boulevard: 'blvd',
  road: 'rd',
  drive: 'dr',
  lane: 'ln',
  court: 'ct',
  circle: 'cir',
  place: 'pl',
  terrace: 'ter',
  parkway: 'pkwy',
  highway: 'hwy',
  square: 'sq',
  trail: 'trl',
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
  apartment: 'apt',
  suite: 'ste',
};

// A unit designator only says "the number that follows is a unit": "Apt 4", "Unit 4" and "#4" are
// one address.
const UNIT_WORDS = new Set(['apt', 'ste', 'unit', 'no', '#']);

/** An address line reduced to lower-case USPS abbreviations, units as a bare number. */
export function normalizeAddress(line1: string, line2: string | null = null): string {
  const words = `${line1} ${line2 ?? ''}`
    .toLowerCase()
    .replace(/#/g, ' # ')
    .replace(/[.,]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => ABBREVIATIONS[word] ?? word)
    .filter((word) => !UNIT_WORDS.has(word));
  return words.join(' ');
}

const normalizeName = (name: string) => name.toLowerCase().replace(/[^a-z]/g, '');

/**
 * The keys a lead's household is known by: its normalised street address with the ZIP, and its
 * last name with the street address and state (the same family at the same address when the ZIP
 * was mistyped). Two leads sharing any key are in the same household. Keys are blind indexes
 * (keyed hashes: a plain hash of an address is found again by hashing the address), so the graph
 * links households without holding addresses or names. No street address: no household.
 */
export function householdKeys(contact: HouseholdContact, blind: Blind): string[] {
  if (!contact.addressLine1?.trim()) return [];
  const address = normalizeAddress(contact.addressLine1, contact.addressLine2);
  if (address === '') return [];
  const keys = [blind(`address|${address}|${contact.zip.slice(0, 5)}`)];
  const lastName = normalizeName(contact.lastName);
  if (lastName !== '') keys.push(blind(`name|${lastName}|${address}|${contact.state.toUpperCase()}`));
  return keys;
}
