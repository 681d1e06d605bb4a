/**
 * Builds the Avro schemas of the lead topics. The committed files `schemas/lead-*.avsc` are the
 * contract (registered and diffed); this builder only keeps their shared record definitions in
 * one place. lead-avro.test.ts fails when a file and the builder differ; regenerate (and then
 * record the new versions with `leadflow schemas snapshot`) with
 *
 *   npx tsx schemas/lead-avro.ts --write
 *
 * Conventions: namespace io.leadflow.lead; optional fields are ["null", T] with default null and
 * arrays/maps default to empty, so fields can be added BACKWARD-compatibly; timestamps are plain
 * `long` epoch milliseconds; enumerations are strings (documented), so adding a value never breaks
 * an older reader.
 */
import fs from 'node:fs';
import path from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Field = { name: string; type: Json; default?: Json; doc?: string; personal?: true };

const NAMESPACE = 'io.leadflow.lead';

/** Avro field and record builders, shared with the other stages' schema builders. */
export const req = (name: string, type: Json, doc?: string): Field =>
  doc ? { name, type, doc } : { name, type };
export const opt = (name: string, type: Json, doc?: string): Field => ({
  name,
  type: ['null', type],
  default: null,
  ...(doc ? { doc } : {}),
});
export const list = (name: string, items: Json, doc?: string): Field => ({
  name,
  type: { type: 'array', items },
  default: [],
  ...(doc ? { doc } : {}),
});
/**
 * A field holding personal data (contact, birth date, free text): sealed with the lead's own key
 * on the wire, unreadable once the lead is erased (runtime/privacy/sealing.ts).
 */
export const personal = (field: Field): Field => ({ ...field, personal: true });

/**
 * What a top-level lead record needs for its personal fields: the field naming the lead (its key)
 * and the field carrying the sealed values.
 */
export const SEALED_BY = { sealedBy: 'leadId' } as const;
export const sealedField = (): Field =>
  opt(
    'sealed',
    'string',
    "The fields marked personal, encrypted together with the lead's own data key (AES-256-GCM); on the wire those fields are left empty. Unreadable once the lead is erased.",
  );

export const record = (name: string, fields: Field[], doc?: string): Json => ({
  type: 'record',
  name,
  ...(doc ? { doc } : {}),
  fields: fields as unknown as Json[],
});

/**
 * Named types are defined at their first use in a schema and referred to by name afterwards, as
 * Avro requires; `Defs` tracks that per schema file.
 */
class Defs {
  private readonly defined = new Set<string>();
  once(name: string, build: () => Json): Json {
    if (this.defined.has(name)) return name;
    this.defined.add(name);
    return build();
  }
}

const LINE_DOC = 'Insurance line: auto, home, renters, life, health, medicare or commercial.';

function reason(d: Defs): Json {
  return d.once('Reason', () =>
    record(
      'Reason',
      [
        req('code', 'string', 'Machine-readable reason code, e.g. phone_invalid.'),
        req('field', 'string', "Dotted path of the field, '' for the whole lead."),
        req('message', 'string'),
      ],
      'A rejection reason or a warning.',
    ),
  );
}

function lineDetails(d: Defs): Field[] {
  return [
    opt(
      'auto',
      d.once('AutoDetails', () =>
        record('AutoDetails', [
          list(
            'vehicles',
            record('Vehicle', [
              req('year', 'int'),
              req('make', 'string'),
              req('model', 'string'),
              opt('ownership', 'string', 'owned, financed or leased.'),
              opt('primaryUse', 'string', 'commute, pleasure, business, farm or rideshare.'),
            ]),
          ),
          list(
            'drivers',
            record('Driver', [
              personal(opt('firstName', 'string')),
              personal(opt('lastName', 'string')),
              personal(opt('dateOfBirth', 'string', 'YYYY-MM-DD.')),
              opt('relationship', 'string', 'self, spouse, child, parent, sibling or other.'),
              opt('gender', 'string'),
              opt('maritalStatus', 'string'),
              opt('accidents', 'int'),
              opt('violations', 'int'),
            ]),
          ),
        ]),
      ),
    ),
    opt(
      'property',
      d.once('PropertyDetails', () =>
        record(
          'PropertyDetails',
          [
            opt('type', 'string', 'single_family, condo, townhouse, apartment, mobile_home or multi_family.'),
            opt('yearBuilt', 'int'),
            opt('squareFeet', 'int'),
            opt('ownership', 'string', 'own or rent.'),
          ],
          'Home and renters details.',
        ),
      ),
    ),
    opt(
      'life',
      d.once('LifeDetails', () =>
        record('LifeDetails', [
          opt('coverageAmount', 'double', 'USD.'),
          opt('termYears', 'int'),
          opt('policyType', 'string', 'term, whole, universal or final_expense.'),
          opt('tobacco', 'boolean'),
        ]),
      ),
    ),
    opt(
      'health',
      d.once('HealthDetails', () =>
        record(
          'HealthDetails',
          [
            opt('householdSize', 'int'),
            opt('annualIncome', 'double', 'USD per year.'),
            opt('tobacco', 'boolean'),
            opt('preExistingConditions', 'boolean'),
          ],
          'Health and medicare details.',
        ),
      ),
    ),
    opt(
      'commercial',
      d.once('CommercialDetails', () =>
        record('CommercialDetails', [
          opt('businessName', 'string'),
          opt('employees', 'int'),
          opt('industry', 'string'),
          opt('annualRevenue', 'double', 'USD per year.'),
          opt('yearsInBusiness', 'int'),
        ]),
      ),
    ),
    opt(
      'coverage',
      d.once('Coverage', () =>
        record('Coverage', [
          opt('level', 'string', 'state_minimum, standard or premium.'),
          opt('startDate', 'string', 'YYYY-MM-DD.'),
        ]),
      ),
    ),
    opt(
      'currentInsurance',
      d.once('CurrentInsurance', () =>
        record('CurrentInsurance', [
          opt('currentlyInsured', 'boolean'),
          opt('insurer', 'string'),
          opt('policyExpiry', 'string', 'YYYY-MM-DD.'),
          opt('yearsInsured', 'int'),
        ]),
      ),
    ),
  ];
}

function source(d: Defs): Json {
  return d.once('Source', () =>
    record('Source', [
      opt('vendorId', 'string'),
      opt('campaign', 'string'),
      opt('pricePaid', 'double', 'USD paid for the lead.'),
      opt('receivedAt', 'long', 'Epoch ms when the vendor captured the lead.'),
      opt('externalId', 'string', "The vendor's own id for the lead."),
      opt('subId', 'string'),
    ]),
  );
}

/** The ping-post sale a posted lead carries from leads.raw to leads.scored (schemas/sale-records.ts). */
function saleField(d: Defs): Field {
  return opt(
    'sale',
    d.once('Sale', () =>
      record(
        'Sale',
        [
          req('bidId', 'string', "The bid's id (unique per ping)."),
          req('kind', 'string', 'exclusive (one buyer) or shared (several).'),
          list(
            'buyers',
            record('SaleBuyer', [
              req('buyerId', 'string'),
              req('priceCents', 'int', 'What the buyer pays, US cents.'),
            ]),
          ),
          req('vendorPriceCents', 'int', 'What the vendor is paid, US cents.'),
          req('pingedAt', 'long', 'Epoch ms of the ping the bid answered.'),
        ],
        'The ping-post bid a posted lead was won with: the buyers it goes to and what each pays.',
      ),
    ),
    'Set on a lead posted against a ping-post bid: match sells it to these buyers and routes it to no agent.',
  );
}

const extraField = (): Field => ({
  name: 'extra',
  type: { type: 'map', values: 'string' },
  default: {},
  doc: 'Fields the input schema does not know, by dotted path, each value as JSON text.',
});

/** The payload as the vendor sent it, after the input schema (trimmed, coerced). */
function leadInput(d: Defs): Json {
  return d.once('LeadInput', () =>
    record(
      'LeadInput',
      [
        req(
          'contact',
          record('ContactInput', [
            personal(req('firstName', 'string')),
            personal(req('lastName', 'string')),
            personal(opt('email', 'string')),
            personal(req('phone', 'string', 'As sent.')),
            personal(opt('addressLine1', 'string')),
            personal(opt('addressLine2', 'string')),
            opt('city', 'string'),
            req('state', 'string'),
            req('zip', 'string', 'As sent, leading zeros restored.'),
          ]),
        ),
        personal(opt('dateOfBirth', 'string', 'YYYY-MM-DD.')),
        req('line', 'string', LINE_DOC),
        ...lineDetails(d),
        opt(
          'consent',
          record('ConsentInput', [
            opt('text', 'string'),
            opt('timestamp', 'long', 'Epoch ms.'),
            opt('certificateId', 'string'),
            personal(opt('ipAddress', 'string')),
            opt('pageUrl', 'string'),
          ]),
        ),
        req('source', source(d)),
        personal(opt('notes', 'string')),
        personal(extraField()),
      ],
      'The external lead payload after the input schema.',
    ),
  );
}

/** The normalised lead of leads.valid and leads.enriched. */
function lead(d: Defs): Json {
  return d.once('Lead', () =>
    record(
      'Lead',
      [
        req(
          'contact',
          record('Contact', [
            personal(req('firstName', 'string')),
            personal(req('lastName', 'string')),
            personal(opt('email', 'string', 'Lower-cased.')),
            personal(req('phone', 'string', 'E.164.')),
            personal(opt('phoneExtension', 'string')),
            req(
              'phoneLineType',
              'string',
              'mobile, fixed_line, fixed_line_or_mobile (US numbers do not tell), voip, pager, uan, voicemail or unknown.',
            ),
            personal(opt('addressLine1', 'string')),
            personal(opt('addressLine2', 'string')),
            opt('city', 'string'),
            req('state', 'string', 'USPS code, upper case.'),
            req('zip', 'string', '5 digits.'),
            opt('zipPlus4', 'string'),
          ]),
        ),
        personal(opt('dateOfBirth', 'string', 'YYYY-MM-DD.')),
        req('line', 'string', LINE_DOC),
        ...lineDetails(d),
        req(
          'consent',
          record('Consent', [
            req('text', 'string'),
            req('timestamp', 'long', 'Epoch ms.'),
            req('certificateId', 'string'),
            req('certificateType', 'string', 'trustedform, jornaya or other.'),
            personal(opt('ipAddress', 'string')),
            opt('pageUrl', 'string'),
          ]),
        ),
        req('source', source(d)),
        personal(opt('notes', 'string')),
        personal(extraField()),
      ],
      'A validated, normalised lead.',
    ),
  );
}

function identities(d: Defs): Json {
  return d.once('ContactIdentities', () =>
    record(
      'ContactIdentities',
      [
        personal(req('phone', 'string', 'E.164 without extension.')),
        personal(opt('email', 'string', 'Dedupe identity of the email.')),
      ],
      'Normalised identities for duplicate detection and the do-not-contact list.',
    ),
  );
}

/** A raw lead; as the top-level record of leads.raw it carries the sealed field itself. */
function rawLead(d: Defs, topLevel = false): Json {
  return d.once('RawLead', () =>
    record(
      'RawLead',
      [
        req('leadId', 'string'),
        req('receivedAt', 'long', 'Epoch ms when leadflow received the lead.'),
        req('vendorId', 'string'),
        req('channel', 'string', 'api, file, replay, ping-post or generator.'),
        saleField(d),
        personal(req('body', 'string', 'The original body as JSON text.')),
        opt('lead', leadInput(d), 'The body after the input schema; null when it did not pass.'),
        ...(topLevel ? [sealedField()] : []),
      ],
      'A lead as received (topic leads.raw).',
    ),
  );
}

export function leadRawSchema(): Json {
  const d = new Defs();
  const { type, name, ...rest } = rawLead(d, true) as Record<string, Json>;
  return { type, name, namespace: NAMESPACE, ...SEALED_BY, ...rest } as Json;
}

export function leadValidSchema(): Json {
  const d = new Defs();
  return {
    type: 'record',
    name: 'ValidLead',
    namespace: NAMESPACE,
    ...SEALED_BY,
    doc: 'A lead that passed validation (topic leads.valid).',
    fields: [
      req('leadId', 'string'),
      req('receivedAt', 'long'),
      req('vendorId', 'string'),
      req('channel', 'string'),
      saleField(d),
      req('validatedAt', 'long'),
      req('lead', lead(d)),
      req('identities', identities(d)),
      list('warnings', reason(d)),
      sealedField(),
    ] as unknown as Json[],
  };
}

export function leadEnrichedSchema(): Json {
  const d = new Defs();
  return {
    type: 'record',
    name: 'EnrichedLead',
    namespace: NAMESPACE,
    ...SEALED_BY,
    doc: 'A valid lead with geography, contact window, age and data quality (topic leads.enriched).',
    fields: [
      req('leadId', 'string'),
      req('receivedAt', 'long'),
      req('vendorId', 'string'),
      req('channel', 'string'),
      saleField(d),
      req('validatedAt', 'long'),
      req('enrichedAt', 'long'),
      req('lead', lead(d), 'Names capitalised, address lines USPS-style.'),
      req('identities', identities(d)),
      opt(
        'geo',
        record('Geo', [
          req('city', 'string'),
          opt('county', 'string'),
          req('latitude', 'double'),
          req('longitude', 'double'),
          opt('timeZone', 'string', 'IANA time zone; null for military addresses.'),
          req('precision', 'string', 'zip, nearby_zip (county/time zone of the nearest ZIP) or military.'),
        ]),
        'Null when the ZIP is not in the offline data.',
      ),
      opt(
        'contactWindow',
        record('ContactWindow', [
          req('timeZone', 'string'),
          req('timeZoneSource', 'string', 'zip or state.'),
          req('allowedNow', 'boolean'),
          req('nextAllowedAt', 'long', 'Epoch ms; enrichedAt when allowed now.'),
          req('localTime', 'string', 'Lead-local time at enrichedAt, ISO 8601 with offset.'),
          req('startHour', 'int', 'Local hour the window open now, or the next one, opens.'),
          req('endHour', 'int', 'Local hour that window closes.'),
          opt('rule', 'string', 'The calling rule that set the window: a state code (e.g. FL) or federal.'),
          opt('citation', 'string', 'Where that rule is written, e.g. Fla. Stat. 501.616(6)(a).'),
        ]),
        'Null when no time zone is known (military addresses).',
      ),
      opt('age', 'int'),
      opt(
        'consentVerification',
        record('ConsentVerification', [
          req('provider', 'string', 'trustedform or jornaya.'),
          req('certificateId', 'string'),
          req(
            'verdict',
            'string',
            'verified, or unavailable (the provider could not answer; the lead passed flagged).',
          ),
          list('reasons', 'string', 'Stable code, colon, detail; never a contact detail.'),
          req('checkedAt', 'long', 'Epoch ms.'),
          opt('ageSeconds', 'long', "The certificate's age when checked."),
          opt('pageUrl', 'string', 'The page the provider recorded, not the one the lead claims.'),
        ]),
        'The consent certificate as its provider answered for it; null when certificates are not checked (no provider configured). Leads whose certificate is refused are rejected, not enriched.',
      ),
      req(
        'dataQuality',
        record('DataQuality', [
          req('score', 'int', '0-100.'),
          list('missing', 'string', 'Paths of missing useful fields.'),
        ]),
      ),
      list('warnings', reason(d)),
      sealedField(),
    ] as unknown as Json[],
  };
}

export function leadRejectedSchema(): Json {
  const d = new Defs();
  return {
    type: 'record',
    name: 'RejectedLead',
    namespace: NAMESPACE,
    ...SEALED_BY,
    doc: 'A lead that a stage rejected, with every reason (topic leads.rejected).',
    fields: [
      req('leadId', 'string'),
      req('receivedAt', 'long'),
      req('vendorId', 'string'),
      req('rejectedAt', 'long'),
      req('stage', 'string', 'ingress, validate, ...'),
      list('reasons', reason(d)),
      list('warnings', reason(d)),
      req('raw', rawLead(d)),
      sealedField(),
    ] as unknown as Json[],
  };
}

export const LEAD_SCHEMAS = {
  'lead-raw': leadRawSchema,
  'lead-valid': leadValidSchema,
  'lead-enriched': leadEnrichedSchema,
  'lead-rejected': leadRejectedSchema,
} as const;

export type LeadSchemaName = keyof typeof LEAD_SCHEMAS;

/** The file text for a schema, formatted as the repository's Prettier config formats JSON. */
export async function schemaFileText(name: LeadSchemaName): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dev tool, only needed when writing
  const prettier = require('prettier') as typeof import('prettier');
  const file = path.join(__dirname, `${name}.avsc`);
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(LEAD_SCHEMAS[name]()), { ...options, filepath: file });
}

if (require.main === module && process.argv.includes('--write')) {
  void (async () => {
    for (const name of Object.keys(LEAD_SCHEMAS) as LeadSchemaName[]) {
      const file = path.join(__dirname, `${name}.avsc`);
      fs.writeFileSync(file, await schemaFileText(name));
      console.log(`wrote ${file}`);
    }
  })();
}
