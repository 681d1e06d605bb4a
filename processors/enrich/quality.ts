import type { DataQuality, Geo, Lead } from '../../schemas/lead';

/**
 * Data-quality score: how complete the fields that matter for quoting and contacting are, 0-100,
 * with the paths of what is missing. Weights add up to 100.
 */

const has = (value: unknown) => value !== null && value !== undefined && value !== '';

const DETAILS_BLOCK: Record<Lead['line'], 'auto' | 'property' | 'life' | 'health' | 'commercial'> = {
  auto: 'auto',
  home: 'property',
  renters: 'property',
  life: 'life',
  health: 'health',
  medicare: 'health',
  commercial: 'commercial',
};

/** The key fields of the line's details block: [path, present]. */
function detailFields(lead: Lead): [string, boolean][] {
  switch (lead.line) {
    case 'auto':
      return [
        ['auto.vehicles', (lead.auto?.vehicles.length ?? 0) > 0],
        ['auto.drivers', (lead.auto?.drivers.length ?? 0) > 0],
      ];
    case 'home':
      return [
        ['property.type', has(lead.property?.type)],
        ['property.yearBuilt', has(lead.property?.yearBuilt)],
        ['property.squareFeet', has(lead.property?.squareFeet)],
        ['property.ownership', has(lead.property?.ownership)],
      ];
    case 'renters':
      return [
        ['property.type', has(lead.property?.type)],
        ['property.ownership', has(lead.property?.ownership)],
      ];
    case 'life':
      return [
        ['life.coverageAmount', has(lead.life?.coverageAmount)],
        ['life.termYears', has(lead.life?.termYears) || has(lead.life?.policyType)],
      ];
    case 'health':
    case 'medicare':
      return [['health.householdSize', has(lead.health?.householdSize)]];
    case 'commercial':
      return [
        ['commercial.businessName', has(lead.commercial?.businessName)],
        ['commercial.employees', has(lead.commercial?.employees)],
        ['commercial.industry', has(lead.commercial?.industry)],
      ];
  }
}

export function dataQuality(lead: Lead, geo: Geo | null): DataQuality {
  const uninsured = lead.currentInsurance?.currentlyInsured === false;
  const items: [string, number, boolean][] = [
    ['contact.email', 15, has(lead.contact.email)],
    ['contact.addressLine1', 10, has(lead.contact.addressLine1)],
    ['contact.city', 5, has(lead.contact.city) || !!geo],
    ['dateOfBirth', 10, has(lead.dateOfBirth)],
    [DETAILS_BLOCK[lead.line], 15, lead[DETAILS_BLOCK[lead.line]] !== null],
    ['currentInsurance.insurer', 10, uninsured || has(lead.currentInsurance?.insurer)],
    ['currentInsurance.policyExpiry', 5, uninsured || has(lead.currentInsurance?.policyExpiry)],
    ['coverage.level', 5, has(lead.coverage?.level) || has(lead.life?.coverageAmount)],
    ['geo', 10, !!geo],
    ['notes', 5, has(lead.notes)],
  ];
  let score = 0;
  const missing: string[] = [];
  for (const [path, weight, present] of items) {
    if (present) score += weight;
    else missing.push(path);
  }
  // The remaining 10 points: the share of the details block's key fields that are present.
  const details = detailFields(lead);
  const present = details.filter(([, ok]) => ok).length;
  score += Math.round((10 * present) / details.length);
  if (lead[DETAILS_BLOCK[lead.line]] !== null)
    missing.push(...details.filter(([, ok]) => !ok).map(([path]) => path));
  return { score, missing };
}
