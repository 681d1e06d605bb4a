import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { toRawLead } from '../../schemas/raw-lead';
import { SAMPLE_NOW, sampleLeadBody } from '../../schemas/lead-samples';
import type { RawLead } from '../../schemas/lead';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { NoDataKeysError, RecordCodec } from '../codec';
import { BuiltInSchemaRegistry } from '../registry';
import { EmbeddedTransport } from '../transports/embedded';
import { PrivacyKey, PrivacyKeyError, SEALED_PREFIX } from './privacy-key';
import { ERASED, sealingPlan, withholdPersonal } from './sealing';
import { MissingDataKeyError } from './data-keys';
import { KeyVault } from './vault';

const log = pino({ level: 'silent' });
const key = new PrivacyKey(Buffer.alloc(32, 3));
const catalog = platformCatalog();

/** One process's view: its own transport on the shared log file, its own vault and codec. */
async function openProcess(file: string) {
  const transport = new EmbeddedTransport({ file });
  await transport.applyTopics([catalog.get(TOPIC.leadsRaw)]);
  const vault = await KeyVault.open({ transport, spec: catalog.get(TOPIC.privacyKeys), key, log });
  const codec = new RecordCodec(catalog, new BuiltInSchemaRegistry(transport.schemaLog()), { keys: vault });
  await codec.prepare([TOPIC.leadsRaw]);
  return {
    transport,
    vault,
    codec,
    async close() {
      await vault.stop();
      await transport.close();
    },
  };
}

const rawLead = () =>
  toRawLead(sampleLeadBody(), { vendorId: 'acme', channel: 'api', receivedAt: SAMPLE_NOW }) as RawLead;

describe('sealed personal fields', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-vault-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('leave the wire without a personal detail in plaintext, and come back whole', async () => {
    const one = await openProcess(path.join(dir, 'log.sqlite'));
    try {
      const lead = rawLead();
      await one.transport.produce([one.vault.createKey(lead.leadId, SAMPLE_NOW)]);
      const record = one.codec.encode(TOPIC.leadsRaw, lead.leadId, lead);
      const bytes = record.value!.toString('latin1');
      for (const detail of ['Jane', "O'Brien", 'OBrien@gmail', '867-5309', 'North Main', '1985-04-12'])
        expect(bytes).not.toContain(detail);
      // What is not personal stays readable on the wire: ids, state, ZIP.
      for (const fact of [lead.leadId, 'acme', '94103', 'CA']) expect(bytes).toContain(fact);
      expect(bytes).toContain(SEALED_PREFIX);
      await one.transport.produce([record]);
      const [stored] = await one.transport.read(TOPIC.leadsRaw);
      const { value } = await one.codec.decode<RawLead>(stored!);
      expect(value).toEqual(lead);
      expect(value).not.toHaveProperty('sealed');
    } finally {
      await one.close();
    }
  });

  test('another process reads a lead whose key it has not followed yet', async () => {
    const file = path.join(dir, 'log.sqlite');
    const writer = await openProcess(file);
    const reader = await openProcess(file);
    try {
      const lead = rawLead();
      await writer.transport.produce([writer.vault.createKey(lead.leadId, SAMPLE_NOW)]);
      await writer.transport.produce([writer.codec.encode(TOPIC.leadsRaw, lead.leadId, lead)]);
      const [stored] = await reader.transport.read(TOPIC.leadsRaw);
      expect((await reader.codec.decode<RawLead>(stored!)).value.lead?.contact.email).toBe(
        'Jane.OBrien@gmail.com',
      );
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  test('an erased lead reads as erased everywhere, the rest of its record intact', async () => {
    const file = path.join(dir, 'log.sqlite');
    const one = await openProcess(file);
    const other = await openProcess(file);
    try {
      const lead = rawLead();
      await one.transport.produce([one.vault.createKey(lead.leadId, SAMPLE_NOW)]);
      await one.transport.produce([one.codec.encode(TOPIC.leadsRaw, lead.leadId, lead)]);
      await one.transport.produce([one.vault.eraseRecord(lead.leadId, 'request-1', SAMPLE_NOW)]);
      const [stored] = await other.transport.read(TOPIC.leadsRaw);
      const { value } = await other.codec.decode<RawLead>(stored!);
      expect(value.body).toBe(ERASED);
      expect(value.lead?.contact).toMatchObject({
        firstName: ERASED,
        phone: ERASED,
        state: 'CA',
        zip: '94103',
      });
      expect(value.lead?.contact.email).toBeNull();
      expect(value).toMatchObject({ leadId: lead.leadId, vendorId: 'acme', receivedAt: SAMPLE_NOW });
      // Written after the erasure (a record in flight), its personal fields are dropped.
      await eventually(() => one.vault.isErased(lead.leadId));
      const late = one.codec.encode(TOPIC.leadsRaw, lead.leadId, lead).value!.toString('latin1');
      expect(late).not.toContain('Jane');
      expect(late).not.toContain(SEALED_PREFIX);
    } finally {
      await other.close();
      await one.close();
    }
  });

  test('a lead with no key anywhere is an error, not an erasure', async () => {
    const one = await openProcess(path.join(dir, 'log.sqlite'));
    try {
      expect(() =>
        one.codec.encode(TOPIC.leadsRaw, 'lead-unknown', { ...rawLead(), leadId: 'lead-unknown' }),
      ).toThrow(MissingDataKeyError);
    } finally {
      await one.close();
    }
  });

  test('a codec without keys refuses personal topics instead of writing them in plaintext', async () => {
    const transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
    try {
      const codec = new RecordCodec(catalog, new BuiltInSchemaRegistry(transport.schemaLog()));
      await codec.prepare([TOPIC.leadsRaw]);
      expect(() => codec.encode(TOPIC.leadsRaw, 'x', rawLead())).toThrow(NoDataKeysError);
    } finally {
      await transport.close();
    }
  });
});

describe('privacy key', () => {
  test('a sealed value opens only for its own lead and key', () => {
    const dataKey = PrivacyKey.newDataKey();
    const wrapped = key.wrap(dataKey, 'lead-1');
    expect(key.unwrap(wrapped, 'lead-1').equals(dataKey)).toBe(true);
    expect(() => key.unwrap(wrapped, 'lead-2')).toThrow(PrivacyKeyError);
    expect(() => new PrivacyKey(Buffer.alloc(32, 4)).unwrap(wrapped, 'lead-1')).toThrow(PrivacyKeyError);
  });

  test('blind indexes are stable per key and reveal nothing without it', () => {
    expect(key.blind('+14155550100')).toBe(key.blind('+14155550100'));
    expect(key.blind('+14155550100')).not.toBe(key.blind('+14155550101'));
    expect(new PrivacyKey(Buffer.alloc(32, 4)).blind('+14155550100')).not.toBe(key.blind('+14155550100'));
    expect(key.blind('+14155550100')).not.toContain('4155550100');
  });

  test('LEADFLOW_PRIVACY_KEY must be 32 bytes of base64', () => {
    expect(() => PrivacyKey.fromBase64('c2hvcnQ=')).toThrow(/32 bytes/);
    expect(PrivacyKey.fromBase64(Buffer.alloc(32, 1).toString('base64'))).toBeInstanceOf(PrivacyKey);
  });
});

describe('sealing plans', () => {
  test('every lead schema seals contact, birth date, consent address, notes and the raw body', () => {
    const plan = sealingPlan(catalog.get(TOPIC.leadsValid).valueSchema)!;
    const lead = {
      leadId: 'l1',
      lead: {
        contact: { firstName: 'Ann', email: null, phone: '+1', city: 'Austin' },
        notes: 'call Ann',
        extra: { a: 'b' },
      },
      identities: { phone: '+1', email: null },
    };
    expect(withholdPersonal(plan, lead)).toEqual({
      leadId: 'l1',
      lead: { contact: { firstName: '', email: null, phone: '', city: 'Austin' }, notes: null, extra: {} },
      identities: { phone: '', email: null },
    });
    for (const topic of [
      TOPIC.leadsRaw,
      TOPIC.leadsEnriched,
      TOPIC.leadsScored,
      TOPIC.leadsRejected,
      TOPIC.leadsByPhone,
    ])
      expect(sealingPlan(catalog.get(topic).valueSchema)).not.toBeNull();
    expect(sealingPlan(catalog.get(TOPIC.leadsMatched).valueSchema)).toBeNull();
    expect(sealingPlan(catalog.get(TOPIC.modelTraining).valueSchema)).toBeNull();
  });
});

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
