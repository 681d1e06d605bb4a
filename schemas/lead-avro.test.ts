import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { generateLeads } from '../tools/generator/generate';
import { enrichLead } from '../processors/enrich/enrich';
import { rejectedLead, validateLead } from '../processors/validate/rules';
import { loadSchema } from './avro';
import { parseLeadInput, type EnrichedLead, type RawLead, type RejectedLead, type ValidLead } from './lead';
import { LEAD_SCHEMAS, type LeadSchemaName } from './lead-avro';
import { SAMPLE_NOW, sampleLeadBody, sampleRawLead } from './lead-samples';

const types = Object.fromEntries(
  (Object.keys(LEAD_SCHEMAS) as LeadSchemaName[]).map((name) => [
    name,
    avro.Type.forSchema(loadSchema(name), { wrapUnions: false }),
  ]),
) as Record<LeadSchemaName, avro.Type>;

/** isValid with the paths of the fields that fail, for a readable assertion. */
function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (p: string[]) => paths.push(p.join('.')) });
  return paths;
}

function expectRoundTrip(name: LeadSchemaName, value: unknown): void {
  const type = types[name];
  expect(invalidPaths(type, value)).toEqual([]);
  // Read without the codec, the sealed field (null when nothing was sealed) is there too.
  expect(type.fromBuffer(type.toBuffer(value))).toEqual({ ...(value as object), sealed: null });
}

function pipeline(raw: RawLead, now = SAMPLE_NOW) {
  const result = validateLead(raw, { now, consentMaxAgeDays: 90 });
  if (result.status === 'rejected') {
    return { rejected: rejectedLead(raw, result.reasons, { now, warnings: result.warnings }) };
  }
  return { valid: result.lead, enriched: enrichLead(result.lead, now) };
}

describe('lead Avro schemas', () => {
  it.each(Object.keys(LEAD_SCHEMAS) as LeadSchemaName[])('%s.avsc is what the builder makes', (name) => {
    const file = path.join(__dirname, `${name}.avsc`);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(LEAD_SCHEMAS[name]());
  });

  it('follows the conventions: namespace, nullable optionals default to null, no logical types', () => {
    const walk = (node: unknown, visit: (n: Record<string, unknown>) => void) => {
      if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
      else if (node && typeof node === 'object') {
        visit(node as Record<string, unknown>);
        Object.values(node).forEach((n) => walk(n, visit));
      }
    };
    for (const name of Object.keys(LEAD_SCHEMAS) as LeadSchemaName[]) {
      const schema = loadSchema(name) as Record<string, unknown>;
      expect(schema.namespace).toBe('io.leadflow.lead');
      walk(schema, (n) => {
        expect(n.logicalType).toBeUndefined();
        if (Array.isArray(n.type) && n.type[0] === 'null') expect(n).toHaveProperty('default', null);
      });
    }
  });

  it('encodes a raw, valid, enriched and rejected sample', () => {
    const raw = sampleRawLead();
    const parsed = parseLeadInput(sampleLeadBody());
    if (!parsed.ok) throw new Error('sample does not parse');
    const withLead: RawLead = { ...raw, lead: parsed.lead };
    expectRoundTrip('lead-raw', raw);
    expectRoundTrip('lead-raw', withLead);

    const { valid, enriched } = pipeline(withLead);
    expect(valid).toBeDefined();
    expectRoundTrip('lead-valid', valid satisfies ValidLead | undefined);
    expectRoundTrip('lead-enriched', enriched satisfies EnrichedLead | undefined);

    const { rejected } = pipeline(sampleRawLead({ ...sampleLeadBody(), consent: undefined, line: 'boat' }));
    expect(rejected?.reasons.map((r) => r.code)).toEqual(['invalid_value', 'consent_missing']);
    expectRoundTrip('lead-rejected', rejected satisfies RejectedLead | undefined);
  });

  it('encodes every record the stages make from generated leads', () => {
    const now = Date.UTC(2025, 5, 2);
    const { leads } = generateLeads({ count: 300, seed: 'avro', now, badShare: 0.3 });
    const seen = { valid: 0, rejected: 0 };
    leads.forEach((body, i) => {
      const parsed = parseLeadInput(body);
      const raw: RawLead = {
        leadId: `lead-${i}`,
        receivedAt: now,
        vendorId: body.source.vendorId,
        channel: 'generator',
        body: JSON.stringify(body),
        lead: parsed.ok ? parsed.lead : null,
      };
      expect(invalidPaths(types['lead-raw'], raw)).toEqual([]);
      const out = pipeline(raw, now);
      if (out.rejected) {
        seen.rejected += 1;
        expect(invalidPaths(types['lead-rejected'], out.rejected)).toEqual([]);
      } else {
        seen.valid += 1;
        expect(invalidPaths(types['lead-valid'], out.valid)).toEqual([]);
        expect(invalidPaths(types['lead-enriched'], out.enriched)).toEqual([]);
      }
    });
    expect(seen.valid).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(30);
  });

  it('reads a record written before a new optional field existed (BACKWARD)', () => {
    const old = JSON.parse(JSON.stringify(loadSchema('lead-valid')));
    old.fields = old.fields.filter((f: { name: string }) => f.name !== 'warnings');
    const oldType = avro.Type.forSchema(old, { wrapUnions: false });
    const { valid } = pipeline(sampleRawLead());
    const { warnings: _warnings, ...withoutWarnings } = valid!;
    const resolver = types['lead-valid'].createResolver(oldType);
    expect(types['lead-valid'].fromBuffer(oldType.toBuffer(withoutWarnings), resolver)).toEqual({
      ...withoutWarnings,
      warnings: [],
      sealed: null,
    });
  });
});
