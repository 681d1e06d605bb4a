/**
 * The lead body at the route: the intake's zod schema (`parseLeadInput`) checks its structure and
 * reports field-level errors; the original body is kept next to the parsed lead, since leads.raw
 * stores what the vendor sent verbatim. Content rules (is this phone real?) are validate's.
 */
import { z } from 'zod';
import { type LeadInput, leadInputSchema, parseLeadInput, type ParseLeadResult } from '../../schemas/lead';
import type { LeadProblemParams } from '../errors';

type JsonSchema = { [key: string]: unknown };

/**
 * The body's JSON schema for the docs: zod's input view of the lead schema, where fields that may
 * be null or left out are not required (`source` and `extra` are filled in when absent).
 */
function documentedLeadSchema(): JsonSchema {
  const relax = (schema: JsonSchema): JsonSchema => {
    const properties = schema.properties as Record<string, JsonSchema> | undefined;
    if (!properties) return schema.items ? { ...schema, items: relax(schema.items as JsonSchema) } : schema;
    const required = ((schema.required as string[] | undefined) ?? []).filter(
      (name) => properties[name]!.nullable !== true && name !== 'source' && name !== 'extra',
    );
    return {
      ...schema,
      properties: Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, relax(child)])),
      required,
    };
  };
  const schema = z.toJSONSchema(leadInputSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'openapi-3.0',
  });
  const { $schema: _schema, ...rest } = schema as JsonSchema;
  return {
    ...relax(rest),
    description:
      'A lead as a vendor sends it. Lenient where vendors are sloppy: strings are trimmed, "" counts as absent, ' +
      'numbers and booleans may be strings, enum values are case-insensitive, dates may be MM/DD/YYYY, ' +
      'timestamps ISO 8601 or epoch. Unknown fields are kept under extra.',
  };
}

export const LEAD_JSON_SCHEMA = documentedLeadSchema();

export interface CheckedLead {
  /** The body as received. */
  body: unknown;
  parsed: ParseLeadResult & { ok: true; lead: LeadInput };
}

export const leadBody = z
  .unknown()
  .transform((body, ctx): CheckedLead => {
    const parsed = parseLeadInput(body);
    if (!parsed.ok) {
      for (const problem of parsed.errors) {
        const params: LeadProblemParams = { problem };
        ctx.issues.push({ code: 'custom', message: problem.message, input: body, params });
      }
      return z.NEVER;
    }
    return { body, parsed };
  })
  .meta(LEAD_JSON_SCHEMA);

export const leadBatchBody = (maxLeads: number) =>
  z.object({
    leads: z
      .array(z.unknown())
      .min(1)
      .max(maxLeads)
      // The size is checked before any lead is parsed, so an oversized batch costs nothing.
      .pipe(z.array(leadBody))
      .meta({ items: LEAD_JSON_SCHEMA, description: `1 to ${maxLeads} leads; all are accepted or none.` }),
  });
