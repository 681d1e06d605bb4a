/**
 * Builds the Avro schemas of the score stage's topics from the enriched lead's builder, so the
 * scored lead is the enriched lead plus its score, field for field. The committed `.avsc` files
 * are the contract; schema.test.ts fails when a file and its builder differ. Regenerate with
 *
 *   npx tsx processors/score/schema.ts --write && npx tsx cli/main.ts schemas snapshot
 */
import fs from 'node:fs';
import path from 'node:path';
import { schemaDirectory } from '../../schemas/avro';
import {
  type Field,
  type Json,
  leadEnrichedSchema,
  list,
  opt,
  personal,
  record,
  req,
  SEALED_BY,
  sealedField,
} from '../../schemas/lead-avro';

const NAMESPACE = 'io.leadflow.lead';

/** The enriched lead's fields; scored adds its own, then the sealed field last. */
function enrichedFields(): Field[] {
  return (leadEnrichedSchema() as { fields: Field[] }).fields.filter((field) => field.name !== 'sealed');
}

export function leadScoredSchema(): Json {
  return {
    type: 'record',
    name: 'ScoredLead',
    namespace: NAMESPACE,
    ...SEALED_BY,
    doc: 'An enriched lead with its score, classification and optional LLM insight (topic leads.scored).',
    fields: [
      ...enrichedFields(),
      req('scoredAt', 'long'),
      req(
        'score',
        record('LeadScore', [
          req('probability', 'double', 'Calibrated conversion probability.'),
          req('score', 'int', '0-100: the share of the training leads this lead outscores.'),
          req('tier', 'string', 'A (score >= 80), B (>= 50), C (>= 20) or D.'),
          list(
            'reasons',
            record('ScoreReason', [
              req('code', 'string', 'Column, with the level for categories, e.g. intent=renewal.'),
              req('direction', 'string', 'up or down.'),
              req('text', 'string', 'In words an agent understands.'),
              req('impact', 'double', 'Log-odds relative to the average lead.'),
            ]),
            'Strongest factors up, then down.',
          ),
          req('modelVersion', 'string', 'Content hash of the model artifact that scored the lead.'),
        ]),
      ),
      req('classification', classificationRecord()),
      opt(
        'llm',
        record('LlmInsight', [
          req('used', 'boolean', 'False when the LLM failed and the local result stands.'),
          req('model', 'string'),
          req('cached', 'boolean'),
          personal(opt('explanation', 'string')),
          {
            name: 'extracted',
            type: { type: 'map', values: 'string' },
            default: {},
            doc: 'Fields read out of the notes.',
            personal: true,
          },
          req('promptTokens', 'int'),
          req('completionTokens', 'int'),
          req('costUsd', 'double'),
          req('latencyMs', 'int'),
          opt('error', 'string', 'timeout, rate_limited, invalid_answer, circuit_open, unavailable.'),
        ]),
        'Null when no LLM is configured.',
      ),
      sealedField(),
    ] as unknown as Json[],
  };
}

/** The rules' (or the LLM's) reading of a lead, as leads.scored and model.training carry it. */
function classificationRecord(): Json {
  return record('Classification', [
    req('line', 'string', 'Insurance line after checking details and notes.'),
    req('statedLine', 'string', 'The line the vendor sent.'),
    req('intent', 'string', 'shopping, switching, renewal or just_browsing.'),
    req('urgency', 'string', 'immediate (within a week), soon (weeks), later or unknown.'),
    req('source', 'string', 'rules or llm.'),
    list('signals', 'string', 'Why, in short phrases.'),
  ]);
}

export function modelReleaseSchema(): Json {
  return {
    type: 'record',
    name: 'ModelRelease',
    namespace: 'io.leadflow.model',
    doc: 'The scoring model in use (compacted topic models, key "current").',
    fields: [
      req('version', 'string', 'Content hash of the artifact.'),
      req('artifact', 'string', 'The model artifact as JSON text.'),
      req('publishedAt', 'long'),
      req('publishedBy', 'string'),
      opt('note', 'string'),
    ] as unknown as Json[],
  };
}

export function leadOutcomeSchema(): Json {
  return {
    type: 'record',
    name: 'LeadOutcome',
    namespace: NAMESPACE,
    doc: 'What happened to a lead after assignment (topic lead.outcomes, keyed by lead id).',
    fields: [
      req('eventId', 'string', 'Unique per event.'),
      req('leadId', 'string'),
      req('status', 'string', 'contacted, quoted, sold, lost, or cancelled (a sold policy cancelled later).'),
      req('at', 'long', 'Epoch ms.'),
      opt('agentId', 'string'),
      opt('premiumUsd', 'double', 'Annual premium sold, USD.'),
      opt('reason', 'string'),
    ] as unknown as Json[],
  };
}

export function trainingExampleSchema(): Json {
  // Its contact details are withheld (withheld.ts), so nothing in it is sealed.
  const {
    namespace: _namespace,
    sealedBy: _sealedBy,
    ...leadType
  } = unmarked(leadEnrichedSchema()) as Record<string, Json>;
  return {
    type: 'record',
    name: 'TrainingExample',
    namespace: NAMESPACE,
    doc: 'A scored lead with its final outcome, for retraining (topic model.training, keyed by lead id).',
    fields: [
      req('leadId', 'string'),
      req('lead', leadType, 'The lead as the score stage saw it, its contact details withheld.'),
      opt(
        'classification',
        classificationRecord(),
        'Made from the notes, which are withheld; null in examples written before it was kept.',
      ),
      req('converted', 'boolean'),
      req('outcome', 'string', 'sold or lost.'),
      req('probability', 'double', 'What the model predicted.'),
      req('modelVersion', 'string'),
      req('scoredAt', 'long'),
      req('labelledAt', 'long'),
    ] as unknown as Json[],
  };
}

/** A schema without its personal marks and sealed field. */
function unmarked(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(unmarked);
  if (schema === null || typeof schema !== 'object') return schema;
  const { personal: _personal, ...rest } = schema;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, unmarked(v)]));
  if (Array.isArray(out.fields))
    out.fields = out.fields.filter((field) => (field as { name?: string }).name !== 'sealed');
  return out;
}

export const SCORE_SCHEMAS = {
  'lead-scored': leadScoredSchema,
  'model-release': modelReleaseSchema,
  'lead-outcome': leadOutcomeSchema,
  'training-example': trainingExampleSchema,
} as const;
export type ScoreSchemaName = keyof typeof SCORE_SCHEMAS;

if (require.main === module && process.argv.includes('--write')) {
  void (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dev tool, only needed when writing
    const prettier = require('prettier') as typeof import('prettier');
    for (const [name, build] of Object.entries(SCORE_SCHEMAS)) {
      const file = path.join(schemaDirectory(), `${name}.avsc`);
      const options = (await prettier.resolveConfig(file)) ?? {};
      fs.writeFileSync(file, await prettier.format(JSON.stringify(build()), { ...options, filepath: file }));
      process.stdout.write(`wrote ${file}\n`);
    }
  })();
}
