import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { type AvroSchema, checkBackward, loadSchema, schemaDirectory } from '../../schemas/avro';
import { SCORE_SCHEMAS, type ScoreSchemaName } from './schema';

describe('score stage Avro schemas', () => {
  it.each(Object.keys(SCORE_SCHEMAS) as ScoreSchemaName[])('%s.avsc is what the builder makes', (name) => {
    const file = path.join(schemaDirectory(), `${name}.avsc`);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(SCORE_SCHEMAS[name]());
  });

  test('a scored lead can be read by a reader that only knows the enriched lead', () => {
    const enriched = avro.Type.forSchema(loadSchema('lead-enriched'), { wrapUnions: false });
    const scored = avro.Type.forSchema(loadSchema('lead-scored'), { wrapUnions: false });
    // Same namespace and record name rules apply: the enriched reader skips the score fields.
    const renamed = { ...(loadSchema('lead-enriched') as object), name: 'ScoredLead' } as AvroSchema;
    expect(checkBackward(renamed, loadSchema('lead-scored')).compatible).toBe(true);
    expect(enriched.name).toBe('io.leadflow.lead.EnrichedLead');
    expect(scored.name).toBe('io.leadflow.lead.ScoredLead');
  });
});
