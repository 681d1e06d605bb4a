import { collapseWhitespace } from './names';

/**
 * USPS-style address lines (Publication 28): upper case, ASCII, no punctuation except # - /,
 * street suffixes abbreviated (STREET -> ST), directionals abbreviated (NORTH -> N) when they are
 * pre- or post-directionals, secondary unit designators abbreviated (APARTMENT -> APT), PO boxes as
 * "PO BOX". Idempotent. Not a CASS certification: no delivery-point validation.
 */

const SUFFIXES: Record<string, string> = {
  ALLEY: 'ALY',
  AVENUE: 'AVE',
  AV: 'AVE',
  AVEN: 'AVE',
  BOULEVARD: 'BLVD',
  BOUL: 'BLVD',
  BRIDGE: 'BRG',
  CAUSEWAY: 'CSWY',
  CENTER: 'CTR',
  CIRCLE: 'CIR',
  CIRC: 'CIR',
  COURT: 'CT',
  COVE: 'CV',
  CREEK: 'CRK',
  CRESCENT: 'CRES',
  CROSSING: 'XING',
  DRIVE: 'DR',
  DRV: 'DR',
  EXPRESSWAY: 'EXPY',
  EXTENSION: 'EXT',
  FREEWAY: 'FWY',
  GARDENS: 'GDNS',
  GROVE: 'GRV',
  HEIGHTS: 'HTS',
  HIGHWAY: 'HWY',
  HIWAY: 'HWY',
  HOLLOW: 'HOLW',
  JUNCTION: 'JCT',
  LANE: 'LN',
  LOOP: 'LOOP',
  MANOR: 'MNR',
  MEADOWS: 'MDWS',
  PARKWAY: 'PKWY',
  PKY: 'PKWY',
  PIKE: 'PIKE',
  PLACE: 'PL',
  PLAZA: 'PLZ',
  POINT: 'PT',
  RIDGE: 'RDG',
  ROAD: 'RD',
  ROUTE: 'RTE',
  SQUARE: 'SQ',
  STREET: 'ST',
  STR: 'ST',
  TERRACE: 'TER',
  TRAIL: 'TRL',
  TRAILS: 'TRL',
  TURNPIKE: 'TPKE',
  VIEW: 'VW',
  VILLAGE: 'VLG',
  WAY: 'WAY',
};

const DIRECTIONALS: Record<string, string> = {
  NORTH: 'N',
  SOUTH: 'S',
  EAST: 'E',
  WEST: 'W',
  NORTHEAST: 'NE',
  NORTHWEST: 'NW',
  SOUTHEAST: 'SE',
  SOUTHWEST: 'SW',
};

const UNITS: Record<string, string> = {
  APARTMENT: 'APT',
  APT: 'APT',
  SUITE: 'STE',
  STE: 'STE',
  UNIT: 'UNIT',
  BUILDING: 'BLDG',
  BLDG: 'BLDG',
  FLOOR: 'FL',
  FL: 'FL',
  ROOM: 'RM',
  RM: 'RM',
  DEPARTMENT: 'DEPT',
  DEPT: 'DEPT',
  LOT: 'LOT',
  SPACE: 'SPC',
  SPC: 'SPC',
  TRAILER: 'TRLR',
  TRLR: 'TRLR',
  OFFICE: 'OFC',
  OFC: 'OFC',
  PENTHOUSE: 'PH',
  PH: 'PH',
  BASEMENT: 'BSMT',
  HANGAR: 'HNGR',
  PIER: 'PIER',
  SLIP: 'SLIP',
  STOP: 'STOP',
  '#': '#',
};

const SHORT_DIRECTIONALS = new Set(Object.values(DIRECTIONALS));

function isDirectional(token: string): boolean {
  return Object.hasOwn(DIRECTIONALS, token) || SHORT_DIRECTIONALS.has(token);
}

/** Own-property lookup, so no input can reach Object.prototype. */
function lookup(table: Record<string, string>, key: string | undefined): string | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

function toAsciiUpper(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßẞ]/g, 'SS')
    .replace(/[Øø]/g, 'O')
    .replace(/[Łł]/g, 'L')
    .replace(/[Ææ]/g, 'AE')
    .toUpperCase();
}

export function normaliseAddressLine(input: string): string {
  let text = toAsciiUpper(collapseWhitespace(input));
  text = text
    .replace(/#\s*/g, '# ')
    .replace(/['’]/g, '')
    .replace(/[^A-Z0-9#/\-\s]/g, ' ');
  // After punctuation is gone, so "P.O. Box" and "P O BOX" read alike on every pass.
  text = collapseWhitespace(text)
    .replace(/\bP O BOX\b/g, 'PO BOX')
    .replace(/\bPOST OFFICE BOX\b/g, 'PO BOX');
  const tokens = collapseWhitespace(text).split(' ').filter(Boolean);
  if (tokens.length === 0) return '';
  if (tokens[0] === 'PO' && tokens[1] === 'BOX') return tokens.join(' ');
  // A line that is only a secondary unit ("Apartment 4B" as line 2).
  const firstUnit = lookup(UNITS, tokens[0]);
  if (firstUnit && tokens.length <= 3) return [firstUnit, ...tokens.slice(1)].join(' ');

  // Street part and secondary unit part ("APT 4B", "# 12").
  let unitAt = tokens.findIndex((token, index) => index > 0 && lookup(UNITS, token) !== undefined);
  if (unitAt < 0) unitAt = tokens.length;
  const street = tokens.slice(0, unitAt);
  const unit = tokens
    .slice(unitAt)
    .map((token, index) => (index === 0 ? (lookup(UNITS, token) ?? token) : token));

  if (street.length >= 3) {
    const last = street.length - 1;
    // Post-directional (MAIN ST NORTH), then the suffix before it.
    let suffixAt = last;
    // Recognised in long and short form alike, so a second pass makes the same decisions.
    if (isDirectional(street[last]!)) {
      street[last] = lookup(DIRECTIONALS, street[last]) ?? street[last]!;
      suffixAt = last - 1;
    }
    const suffix = lookup(SUFFIXES, street[suffixAt]);
    if (suffixAt >= 2 && suffix) street[suffixAt] = suffix;
    // Pre-directional after the house number (123 NORTH MAIN ST), unless it is the street name itself.
    const pre = lookup(DIRECTIONALS, street[1]);
    if (/^\d/.test(street[0]!) && pre && suffixAt > 2) street[1] = pre;
  } else if (street.length === 2 && !/^\d/.test(street[0]!)) {
    street[1] = lookup(SUFFIXES, street[1]) ?? street[1]!;
  }
  return [...street, ...unit].join(' ');
}

/** A city name USPS-style: upper case ASCII, single spaces; "St." kept as "ST". */
export function normaliseCity(input: string): string {
  return collapseWhitespace(toAsciiUpper(input).replace(/[^A-Z0-9\-\s']/g, ' ')).replace(/'/g, '');
}
