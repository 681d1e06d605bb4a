import { parseLeadInput } from '../../schemas/lead';
import { contactIdentities } from '../../processors/validate/identities';
import { validateLeadBody } from '../../processors/validate/rules';
import { fromCsvRow, fromNdjson, parseCsv, toCsv, toNdjson } from '../../connectors/files/format';
import { BAD_KINDS, EXPECTED_REASONS, generateLeads, type LeadBody } from './generate';
import { createRng } from '../../models/prng';
import { VENDORS } from './vendors';

const NOW = Date.UTC(2025, 5, 2, 12, 0, 0);
const options = { now: NOW, consentMaxAgeDays: 90 };

describe('generateLeads', () => {
  // One mixed set, shared by the tests that only read it.
  const mixed = generateLeads({ count: 1200, seed: 'mixed', now: NOW, badShare: 0.3 });

  it('is deterministic for a seed, byte for byte', () => {
    const a = generateLeads({ count: 300, seed: 7, now: NOW });
    const b = generateLeads({ count: 300, seed: 7, now: NOW });
    expect(toNdjson(a.leads)).toBe(toNdjson(b.leads));
    expect(JSON.stringify(a.outcomes)).toBe(JSON.stringify(b.outcomes));
    expect(toCsv(a.leads)).toBe(toCsv(b.leads));
    const c = generateLeads({ count: 300, seed: 8, now: NOW });
    expect(toNdjson(c.leads)).not.toBe(toNdjson(a.leads));
  });

  it('keeps the bad share within 2 points over 10,000 records', () => {
    const { outcomes } = generateLeads({ count: 10_000, seed: 'share', now: NOW });
    const share = outcomes.filter((o) => o.badKind).length / outcomes.length;
    expect(Math.abs(share - 0.12)).toBeLessThanOrEqual(0.02);
    const kinds = new Set(outcomes.map((o) => o.badKind).filter(Boolean));
    expect([...kinds].sort()).toEqual([...BAD_KINDS].sort());
  });

  it('with badShare 0 gives only clean records, every one valid and no two alike', () => {
    const { leads, outcomes } = generateLeads({ count: 1000, seed: 'clean', now: NOW, badShare: 0 });
    expect(outcomes.every((o) => o.badKind === undefined)).toBe(true);
    const phones = new Set<string>();
    const emails = new Set<string>();
    for (const body of leads) {
      const result = validateLeadBody(body, options);
      if (result.status !== 'valid')
        throw new Error(`${JSON.stringify(result.reasons)} for ${JSON.stringify(body)}`);
      const ids = contactIdentities(result.lead);
      expect(phones.has(ids.phone)).toBe(false);
      phones.add(ids.phone);
      if (ids.email) {
        expect(emails.has(ids.email)).toBe(false);
        emails.add(ids.email);
      }
    }
  });

  it('makes each bad record fail the way its kind says', () => {
    const { leads, outcomes } = mixed;
    const seenIdentities: string[] = [];
    leads.forEach((body, i) => {
      const kind = outcomes[i]!.badKind;
      const result = validateLeadBody(body, options);
      if (!kind || kind === 'duplicate') {
        if (result.status !== 'valid')
          throw new Error(`${kind ?? 'clean'}: ${JSON.stringify(result.reasons)}`);
        const ids = contactIdentities(result.lead);
        // A duplicate resubmits an earlier lead's contact (same phone identity).
        if (kind === 'duplicate') expect(seenIdentities).toContain(ids.phone);
        seenIdentities.push(ids.phone);
        return;
      }
      expect(result.status).toBe('rejected');
      const codes = result.status === 'rejected' ? result.reasons.map((r) => r.code) : [];
      expect(codes.some((c) => EXPECTED_REASONS[kind].includes(c))).toBe(true);
    });
  });

  it('writes NDJSON whose every line is a body the lead API parses', () => {
    const lines = toNdjson(mixed.leads).trimEnd().split('\n');
    expect(lines).toHaveLength(1200);
    for (const line of lines) {
      const result = parseLeadInput(JSON.parse(line));
      if (!result.ok) throw new Error(`${JSON.stringify(result.errors)} in ${line}`);
      // Parsing is idempotent: a parsed lead (as leads.raw carries it) parses to itself.
      expect(parseLeadInput(result.lead)).toEqual(result);
    }
    expect(fromNdjson(toNdjson(mixed.leads))).toEqual(mixed.leads);
  });

  it('writes CSV that maps back to the same lead', () => {
    const leads = mixed.leads.slice(0, 300);
    const csv = toCsv(leads);
    const [header] = csv.split('\n');
    expect(header).toMatch(/^source\.externalId,source\.vendorId,.*,contact\.firstName,/);
    expect(header).toContain('auto.vehicles.0.make');
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(leads.length);
    rows.forEach((row, i) => {
      expect(parseLeadInput(fromCsvRow(row))).toEqual(parseLeadInput(leads[i]));
    });
  });

  it('records a hidden propensity outside the body, joinable by external id', () => {
    const { leads, outcomes } = mixed;
    expect(toNdjson(leads)).not.toMatch(/propensity|converted|badKind/);
    expect(new Set(outcomes.map((o) => o.externalId)).size).toBe(leads.length);
    leads.forEach((body, i) => expect(outcomes[i]!.externalId).toBe(body.source.externalId));
    for (const o of outcomes) {
      expect(o.propensity).toBeGreaterThanOrEqual(0);
      expect(o.propensity).toBeLessThanOrEqual(1);
    }
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
    const clean = outcomes.filter((o) => !o.badKind);
    const rate = mean(clean.map((o) => o.converted));
    expect(Math.abs(rate - mean(clean.map((o) => o.propensity)))).toBeLessThan(0.03);
    // The signals it is built from show: better vendors, urgent notes, and invalid phones.
    const byVendor = (id: string) => mean(clean.filter((o) => o.vendorId === id).map((o) => o.propensity));
    expect(byVendor('northstar-senior')).toBeGreaterThan(byVendor('clickharbor'));
    const notes = (pattern: RegExp) =>
      mean(
        leads.flatMap((b, i) =>
          !outcomes[i]!.badKind && pattern.test(b.notes ?? '') ? [outcomes[i]!.propensity] : [],
        ),
      );
    expect(notes(/today|asap/i)).toBeGreaterThan(notes(/just (looking|browsing)|curious/i));
    expect(mean(outcomes.filter((o) => o.badKind === 'invalid_phone').map((o) => o.propensity))).toBeLessThan(
      0.02,
    );
  });

  it('looks like real lead traffic', () => {
    const { leads } = mixed;
    const vendors = new Set(leads.map((b) => b.source.vendorId));
    expect(vendors.size).toBe(VENDORS.length);
    expect(VENDORS.length).toBeGreaterThanOrEqual(5);
    const lines = new Set(leads.map((b) => String(b.line).toLowerCase()));
    expect(lines.size).toBe(7);
    const text = toNdjson(leads);
    // Sloppy vendors: numeric ZIPs and phones, lower-case states; unicode names; unknown fields.
    expect(leads.some((b) => typeof b.contact.zip === 'number')).toBe(true);
    expect(leads.some((b) => typeof b.contact.phone === 'number')).toBe(true);
    expect(leads.some((b) => /^[a-z]{2}$/.test(b.contact.state))).toBe(true);
    expect(text).toMatch(/Nguyễn|García|Muñoz|Zoë/);
    expect(leads.some((b: LeadBody) => b.sub_id !== undefined || b.ip_address !== undefined)).toBe(true);
    // Never a fictional 555-01XX number in a clean lead.
    expect(
      leads.some((b, i) => !mixed.outcomes[i]!.badKind && /555-?01\d\d/.test(String(b.contact.phone))),
    ).toBe(false);
  });
});

describe('fromCsvRow', () => {
  it('rebuilds nested bodies and arrays, skipping empty cells', () => {
    expect(
      fromCsvRow({
        'contact.firstName': 'Ann',
        'contact.email': '',
        'auto.vehicles.0.make': 'Kia',
        'auto.vehicles.2.make': 'Ford',
        line: 'auto',
        sub_id: '17',
      }),
    ).toEqual({
      contact: { firstName: 'Ann' },
      auto: { vehicles: [{ make: 'Kia' }, { make: 'Ford' }] },
      line: 'auto',
      sub_id: '17',
    });
  });

  it('is safe against hostile column names', () => {
    const body = fromCsvRow({
      '__proto__.polluted': 'yes',
      'constructor.prototype.x': '1',
      'a.999999999.b': 'c',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(body).toEqual({ a: { '999999999': { b: 'c' } } });
  });

  it('round-trips awkward text through CSV quoting', () => {
    const lead = { notes: 'said "call me", then hung up,\nnew line', contact: { firstName: ' padded ' } };
    expect(fromCsvRow(parseCsv(toCsv([lead]))[0]!)).toEqual(lead);
  });
});

describe('createRng', () => {
  it('is reproducible and roughly uniform', () => {
    const a = createRng('x');
    const b = createRng('x');
    const values = Array.from({ length: 10_000 }, () => a.next());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});
