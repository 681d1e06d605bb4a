/**
 * USPS state codes a US lead can carry: the 50 states, DC, the inhabited territories and freely
 * associated states that use US ZIP codes, and the three military "states" (AA, AE, AP).
 */
export type StateKind = 'state' | 'district' | 'territory' | 'freely_associated' | 'military';

export interface UsState {
  code: string;
  name: string;
  kind: StateKind;
}

export const US_STATES: readonly UsState[] = [
  { code: 'AL', name: 'Alabama', kind: 'state' },
  { code: 'AK', name: 'Alaska', kind: 'state' },
  { code: 'AZ', name: 'Arizona', kind: 'state' },
  { code: 'AR', name: 'Arkansas', kind: 'state' },
  { code: 'CA', name: 'California', kind: 'state' },
  { code: 'CO', name: 'Colorado', kind: 'state' },
  { code: 'CT', name: 'Connecticut', kind: 'state' },
  { code: 'DE', name: 'Delaware', kind: 'state' },
  { code: 'DC', name: 'District of Columbia', kind: 'district' },
  { code: 'FL', name: 'Florida', kind: 'state' },
  { code: 'GA', name: 'Georgia', kind: 'state' },
  { code: 'HI', name: 'Hawaii', kind: 'state' },
  { code: 'ID', name: 'Idaho', kind: 'state' },
  { code: 'IL', name: 'Illinois', kind: 'state' },
  { code: 'IN', name: 'Indiana', kind: 'state' },
  { code: 'IA', name: 'Iowa', kind: 'state' },
  { code: 'KS', name: 'Kansas', kind: 'state' },
  { code: 'KY', name: 'Kentucky', kind: 'state' },
  { code: 'LA', name: 'Louisiana', kind: 'state' },
  { code: 'ME', name: 'Maine', kind: 'state' },
  { code: 'MD', name: 'Maryland', kind: 'state' },
  { code: 'MA', name: 'Massachusetts', kind: 'state' },
  { code: 'MI', name: 'Michigan', kind: 'state' },
  { code: 'MN', name: 'Minnesota', kind: 'state' },
  { code: 'MS', name: 'Mississippi', kind: 'state' },
  { code: 'MO', name: 'Missouri', kind: 'state' },
  { code: 'MT', name: 'Montana', kind: 'state' },
  { code: 'NE', name: 'Nebraska', kind: 'state' },
  { code: 'NV', name: 'Nevada', kind: 'state' },
  { code: 'NH', name: 'New Hampshire', kind: 'state' },
  { code: 'NJ', name: 'New Jersey', kind: 'state' },
  { code: 'NM', name: 'New Mexico', kind: 'state' },
  { code: 'NY', name: 'New York', kind: 'state' },
  { code: 'NC', name: 'North Carolina', kind: 'state' },
  { code: 'ND', name: 'North Dakota', kind: 'state' },
  { code: 'OH', name: 'Ohio', kind: 'state' },
  { code: 'OK', name: 'Oklahoma', kind: 'state' },
  { code: 'OR', name: 'Oregon', kind: 'state' },
  { code: 'PA', name: 'Pennsylvania', kind: 'state' },
  { code: 'RI', name: 'Rhode Island', kind: 'state' },
  { code: 'SC', name: 'South Carolina', kind: 'state' },
  { code: 'SD', name: 'South Dakota', kind: 'state' },
  { code: 'TN', name: 'Tennessee', kind: 'state' },
  { code: 'TX', name: 'Texas', kind: 'state' },
  { code: 'UT', name: 'Utah', kind: 'state' },
  { code: 'VT', name: 'Vermont', kind: 'state' },
  { code: 'VA', name: 'Virginia', kind: 'state' },
  { code: 'WA', name: 'Washington', kind: 'state' },
  { code: 'WV', name: 'West Virginia', kind: 'state' },
  { code: 'WI', name: 'Wisconsin', kind: 'state' },
  { code: 'WY', name: 'Wyoming', kind: 'state' },
  { code: 'PR', name: 'Puerto Rico', kind: 'territory' },
  { code: 'VI', name: 'Virgin Islands', kind: 'territory' },
  { code: 'GU', name: 'Guam', kind: 'territory' },
  { code: 'AS', name: 'American Samoa', kind: 'territory' },
  { code: 'MP', name: 'Northern Mariana Islands', kind: 'territory' },
  { code: 'FM', name: 'Federated States of Micronesia', kind: 'freely_associated' },
  { code: 'MH', name: 'Marshall Islands', kind: 'freely_associated' },
  { code: 'PW', name: 'Palau', kind: 'freely_associated' },
  { code: 'AA', name: 'Armed Forces Americas', kind: 'military' },
  { code: 'AE', name: 'Armed Forces Europe', kind: 'military' },
  { code: 'AP', name: 'Armed Forces Pacific', kind: 'military' },
];

const byCode = new Map(US_STATES.map((state) => [state.code, state]));
const byName = new Map(US_STATES.map((state) => [simplify(state.name), state.code]));
// Common spellings vendors send instead of the USPS names.
byName.set('washington dc', 'DC');
byName.set('us virgin islands', 'VI');
byName.set('virgin islands of the united states', 'VI');
byName.set('northern mariana islands', 'MP');
byName.set('micronesia', 'FM');

function simplify(name: string): string {
  return name.toLowerCase().replace(/[.,]/g, '').replace(/\s+/g, ' ').trim();
}

export function stateByCode(code: string): UsState | undefined {
  return byCode.get(code);
}

export function isStateCode(code: string): boolean {
  return byCode.has(code);
}

/**
 * Upper-cases a state code, or maps a full state name ("new york", "District of Columbia") to its
 * code. Anything else is returned upper-cased, so the caller can report it as it came.
 */
export function normaliseStateInput(input: string): string {
  const trimmed = input.trim();
  const upper = trimmed.toUpperCase();
  if (byCode.has(upper)) return upper;
  return byName.get(simplify(trimmed)) ?? upper;
}
