/**
 * The scoring model's view of a lead: one flat row of facts about the enriched lead as the
 * pipeline sees it, plus the words agents read in reason codes. Training (`train-default`,
 * `train --from-topic`) and scoring both call `leadFeatures`, so they can never disagree.
 */
import type { ColumnHint, Row } from '../../models/features';
import type { EnrichedLead, InsuranceLine } from '../../schemas/lead';
import type { Classification } from '../../schemas/score-records';

/** Age bands where conversion differs by line (young drivers, prime life-insurance ages, turning 65). */
function ageBand(age: number | null): string {
  if (age === null) return 'age unknown';
  if (age < 25) return 'under 25';
  if (age < 30) return '25-29';
  if (age <= 55) return '30-55';
  if (age < 64) return '56-63';
  if (age <= 70) return '64-70';
  return 'over 70';
}

function insuredText(insured: boolean | null | undefined): string {
  if (insured === true) return 'currently insured';
  if (insured === false) return 'not insured';
  return 'insurance status unknown';
}

function hasDetails(enriched: EnrichedLead, line: InsuranceLine): boolean {
  const lead = enriched.lead;
  switch (line) {
    case 'auto':
      return (lead.auto?.vehicles.length ?? 0) > 0;
    case 'home':
    case 'renters':
      return lead.property !== null;
    case 'life':
      return lead.life !== null;
    case 'health':
    case 'medicare':
      return lead.health !== null;
    case 'commercial':
      return lead.commercial !== null;
  }
}

const flag = (present: boolean) => (present ? 1 : 0);

export function leadFeatures(enriched: EnrichedLead, classification: Classification): Row {
  const lead = enriched.lead;
  const line = classification.line;
  const price = lead.source.pricePaid;
  return {
    line,
    vendor: enriched.vendorId,
    lineAge: `${line}, ${ageBand(enriched.age)}`,
    lineInsured: `${line}, ${insuredText(lead.currentInsurance?.currentlyInsured)}`,
    intent: classification.intent,
    urgency: classification.urgency,
    email: flag(lead.contact.email !== null),
    address: flag(lead.contact.addressLine1 !== null),
    dateOfBirth: flag(lead.dateOfBirth !== null),
    details: flag(hasDetails(enriched, line)),
    insurer: flag(lead.currentInsurance?.insurer != null),
    notes: flag(lead.notes !== null && lead.notes.trim() !== ''),
    dataQuality: enriched.dataQuality.score,
    phoneType: lead.contact.phoneLineType,
    pricePaid: price === null ? null : Math.log1p(Math.max(0, price)),
    warnings: enriched.warnings.length,
  };
}

/** Kinds and agent-facing words of each column of `leadFeatures`. */
export const LEAD_COLUMNS: readonly ColumnHint[] = [
  {
    column: 'line',
    kind: 'categorical',
    words: {
      label: 'Insurance line',
      levels: {
        auto: 'Wants auto insurance',
        home: 'Wants home insurance',
        renters: 'Wants renters insurance',
        life: 'Wants life insurance',
        health: 'Wants health insurance',
        medicare: 'Wants Medicare coverage',
        commercial: 'Wants business insurance',
      },
    },
  },
  { column: 'vendor', kind: 'categorical', words: { label: 'Lead vendor' } },
  { column: 'lineAge', kind: 'categorical', words: { label: 'Age for this line' } },
  { column: 'lineInsured', kind: 'categorical', words: { label: 'Current coverage' } },
  {
    column: 'intent',
    kind: 'categorical',
    words: {
      label: 'Intent',
      levels: {
        shopping: 'Comparing quotes',
        switching: 'Wants to switch insurer',
        renewal: 'Policy is up for renewal',
        just_browsing: 'Says they are just browsing',
      },
    },
  },
  {
    column: 'urgency',
    kind: 'categorical',
    words: {
      label: 'Urgency',
      levels: {
        immediate: 'Needs coverage within a week',
        soon: 'Needs coverage within weeks',
        later: 'No rush to buy',
        unknown: 'No timeline given',
      },
    },
  },
  { column: 'email', kind: 'numeric', words: { high: 'Gave an email address', low: 'No email address' } },
  { column: 'address', kind: 'numeric', words: { high: 'Gave a street address', low: 'No street address' } },
  {
    column: 'dateOfBirth',
    kind: 'numeric',
    words: { high: 'Gave a date of birth', low: 'No date of birth' },
  },
  {
    column: 'details',
    kind: 'numeric',
    words: { high: 'Filled in the policy details', low: 'No policy details' },
  },
  {
    column: 'insurer',
    kind: 'numeric',
    words: { high: 'Named their current insurer', low: 'Current insurer not named' },
  },
  { column: 'notes', kind: 'numeric', words: { high: 'Left a note', low: 'No note' } },
  {
    column: 'dataQuality',
    kind: 'numeric',
    words: { label: 'Data quality', high: 'Complete application', low: 'Application has gaps' },
  },
  {
    column: 'phoneType',
    kind: 'categorical',
    words: {
      label: 'Phone',
      levels: {
        mobile: 'Mobile phone',
        fixed_line: 'Landline phone',
        fixed_line_or_mobile: 'Phone type unknown',
        voip: 'Internet (VoIP) phone',
      },
    },
  },
  {
    column: 'pricePaid',
    kind: 'numeric',
    words: { label: 'Price paid', high: 'Premium-priced lead', low: 'Low-priced lead' },
  },
  {
    column: 'warnings',
    kind: 'numeric',
    words: { label: 'Validation warnings', high: 'Validation warnings', low: 'No validation warnings' },
  },
];
