/**
 * What the LLM is asked about a lead and the answer it must give: a tool call whose arguments
 * match `leadInsightsSchema` (sent to the endpoint as JSON Schema, checked again with zod when it
 * comes back, because an endpoint may ignore the schema). The prompt carries no contact details:
 * names, phone, email and street address never leave leadflow, and phone numbers or emails typed
 * into the notes are masked.
 */
import { z } from 'zod';
import type { EnrichedLead } from '../../schemas/lead';
import { type LocalView, leadInsightsSchema } from '../../schemas/lead-insights';

/** Bump when the prompt or the schema changes: it is part of the cache key. */
export const PROMPT_VERSION = 'lead-insights/1';
export const TOOL_NAME = 'record_lead_insights';

/**
 * The tool's parameters. Not sent in OpenAI's strict mode: many compatible servers do not know
 * it, and the answer is checked with zod either way.
 */
export const leadInsightsJsonSchema = (() => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(leadInsightsSchema) as Record<string, unknown>;
  return schema;
})();

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/g;
const PHONE = /\+?\d[\d\s().-]{7,}\d/g;

export function maskContactDetails(text: string): string {
  return text.replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}

/** The facts the LLM sees: the lead without contact details, and what the local model concluded. */
export function promptFacts(enriched: EnrichedLead, local: LocalView): Record<string, unknown> {
  const lead = enriched.lead;
  return {
    statedLine: lead.line,
    state: lead.contact.state,
    age: enriched.age,
    vendor: enriched.vendorId,
    notes: lead.notes === null ? null : maskContactDetails(lead.notes),
    vehicles: lead.auto?.vehicles.map((v) => ({
      year: v.year,
      make: v.make,
      model: v.model,
      use: v.primaryUse,
    })),
    driverCount: lead.auto?.drivers.length,
    property: lead.property,
    life: lead.life,
    health: lead.health,
    business: lead.commercial && {
      employees: lead.commercial.employees,
      industry: lead.commercial.industry,
      yearsInBusiness: lead.commercial.yearsInBusiness,
    },
    coverage: lead.coverage,
    currentInsurance: lead.currentInsurance,
    receivedOn: new Date(enriched.receivedAt).toISOString().slice(0, 10),
    localModel: local,
  };
}

export const SYSTEM_PROMPT = [
  'You qualify US insurance leads for licensed agents.',
  `Call ${TOOL_NAME} exactly once with your assessment of the lead described by the user message (JSON).`,
  'Intent: shopping (comparing options), switching (unhappy with or leaving a current insurer),',
  'renewal (current policy ending or renewing), just_browsing (no buying intent).',
  'Urgency counts from receivedOn. Use only what the facts say; never invent contact details.',
  'The explanation is for the agent: plain words, at most two sentences.',
].join(' ');
