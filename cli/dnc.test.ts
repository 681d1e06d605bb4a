/**
 * `leadflow dnc import`: the precedence between lists, imports through the embedded log read by
 * the phone screen as its do-not-contact table, and the command itself with its summary.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ListRow } from '../connectors/suppression/rows';
import { validateLead } from '../processors/validate/rules';
import { type DoNotContact, phoneScreenProcessor } from '../processors/validate/screen';
import { Pipeline } from '../runtime/pipeline';
import { BuiltInSchemaRegistry } from '../runtime/registry';
import { EmbeddedTransport, embeddedLogFile } from '../runtime/transports/embedded';
import { SAMPLE_NOW, sampleRawLead } from '../schemas/lead-samples';
import type { RejectedLead, ValidLead } from '../schemas/lead';
import { codecFor, readValues, testLog } from '../test/support/harness';
import { runCli } from '../test/support/cli';
import { platformCatalog, TOPIC } from '../topics/platform';
import { openTestVault, testBlind } from '../test/support/privacy';
import { identityKey } from '../processors/validate/identities';
import { importSuppressionFile, planChange, type Standing } from './dnc';

jest.setTimeout(180_000);

const fixture = (name: string) => path.join(__dirname, '..', 'connectors', 'suppression', 'fixtures', name);

const phoneKey = (e164: string) => identityKey('phone', e164, testBlind);

/** An expectation by ten-digit number, keyed as the list keys it. */
const byNumber = (kinds: Record<string, string>) =>
  Object.fromEntries(Object.entries(kinds).map(([number, kind]) => [phoneKey(`+1${number}`), kind]));

describe('planChange', () => {
  const add: ListRow = { line: 1, number: '4155550101', action: 'add' };
  const remove: ListRow = { line: 1, number: '4155550101', action: 'remove' };
  const yes = (day: number): ListRow => ({ ...add, disconnectedOnOrAfter: day });
  const on = (list: Standing['list'], day?: number): Standing => ({ list, day });

  it.each([
    ['national-dnc', add, undefined, 'added'],
    ['national-dnc', add, on('national-dnc'), 'unchanged'],
    ['national-dnc', add, on('by-hand'), 'kept'],
    ['national-dnc', add, on('litigator'), 'kept'],
    ['national-dnc', add, on('reassigned', 5), 'updated'],
    ['litigator', add, on('national-dnc'), 'updated'],
    ['national-dnc', remove, on('national-dnc'), 'removed'],
    ['national-dnc', remove, on('litigator'), 'kept'],
    ['national-dnc', remove, on('by-hand'), 'kept'],
    ['national-dnc', remove, undefined, 'unchanged'],
    ['reassigned', yes(10), on('reassigned', 5), 'updated'],
    ['reassigned', yes(5), on('reassigned', 10), 'unchanged'],
    ['reassigned', yes(5), on('national-dnc'), 'kept'],
    ['reassigned', { ...add, action: 'none' } as ListRow, undefined, 'unchanged'],
  ] as const)('%s %o over %o: %s', (list, row, current, outcome) => {
    expect(planChange(list, row, current)).toBe(outcome);
  });
});

/** The sample lead, as validated, on another phone with its consent at another time. */
function leadOn(phone: string, consentAt: number, leadId: string): ValidLead {
  const result = validateLead(sampleRawLead(undefined, { leadId }), {
    now: SAMPLE_NOW,
    consentMaxAgeDays: 90,
  });
  if (result.status !== 'valid') throw new Error(JSON.stringify(result.reasons));
  const { lead } = result;
  return {
    ...lead,
    lead: {
      ...lead.lead,
      contact: { ...lead.lead.contact, phone },
      consent: { ...lead.lead.consent, timestamp: consentAt },
    },
    identities: { ...lead.identities, phone },
  };
}

describe('importing through the embedded log', () => {
  let dir: string;
  let transport: EmbeddedTransport;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-dnc-'));
    transport = new EmbeddedTransport({ file: embeddedLogFile(dir) });
  });

  afterAll(async () => {
    await transport.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('lists share one entry per phone by precedence, and the phone screen applies the result', async () => {
    const context = { transport, registry: new BuiltInSchemaRegistry(transport.schemaLog()) };
    const catalog = platformCatalog();
    await transport.applyTopics([catalog.get(TOPIC.doNotContact)]);
    const { codec } = await codecFor(transport, catalog, [TOPIC.doNotContact, TOPIC.leadsByPhone]);
    const byHand: DoNotContact = {
      key: phoneKey('+14155550102'),
      kind: 'phone',
      reason: 'asked not to be called',
      source: 'cli',
      addedAt: SAMPLE_NOW,
    };
    await transport.produce([codec.encode(TOPIC.doNotContact, byHand.key, byHand)]);

    const rejectedLines: number[] = [];
    const importFile = (format: Parameters<typeof importSuppressionFile>[2]['format'], file: string) =>
      importSuppressionFile(context, fs.createReadStream(fixture(file)), {
        format,
        source: `test:${file}`,
        batchSize: 2,
        blind: testBlind,
        onRejected: (row) => rejectedLines.push(row.line),
      });

    expect(await importFile('ftc-dnc', 'ftc-dnc-full.txt')).toMatchObject({
      list: 'national-dnc',
      ...{ read: 10, added: 4, updated: 0, removed: 0, unchanged: 0, kept: 1, rejected: 5 },
    });
    expect(rejectedLines).toEqual([6, 7, 8, 9, 10]);
    expect(await importFile('litigator', 'litigator.csv')).toMatchObject({
      ...{ read: 6, added: 2, updated: 1, removed: 0, unchanged: 0, kept: 0, rejected: 3 },
    });
    // 0101 leaves the registry; the entry by hand (0102) and the litigator (0103) stay.
    expect(await importFile('ftc-dnc-changes', 'ftc-dnc-changes.txt')).toMatchObject({
      ...{ read: 7, added: 1, updated: 0, removed: 1, unchanged: 0, kept: 2, rejected: 3 },
    });
    expect(await importFile('reassigned', 'rnd-results.csv')).toMatchObject({
      ...{ read: 9, added: 2, updated: 0, removed: 0, unchanged: 2, kept: 1, rejected: 4 },
    });

    const current = new Map<string, DoNotContact>();
    for (const raw of await transport.read(TOPIC.doNotContact)) {
      const { key, value } = await codec.decode<DoNotContact | null>(raw);
      if (value === null) current.delete(key);
      else current.set(key, value);
    }
    // Keyed by the numbers' blind indexes: the list never holds a number.
    const kinds = Object.fromEntries([...current].map(([key, entry]) => [key, entry.kind]));
    expect(JSON.stringify([...current])).not.toContain('555010');
    expect(kinds).toEqual(
      byNumber({
        '4155550102': 'phone',
        '4155550103': 'litigator',
        '4155550104': 'national-dnc',
        '2125550107': 'national-dnc',
        '4155550108': 'national-dnc',
        '4155550113': 'litigator',
        '2125550116': 'litigator',
        '4155550121': 'reassigned',
        '2125550127': 'reassigned',
      }),
    );
    expect(current.get(phoneKey('+14155550102'))).toEqual(byHand);
    expect(current.get(phoneKey('+14155550121'))).toMatchObject({
      addedAt: Date.UTC(2025, 2, 1),
      reason: 'permanently disconnected on or after 2025-03-01 (FCC Reassigned Numbers Database)',
      source: 'test:rnd-results.csv',
    });

    const pipeline = await Pipeline.start({
      appId: 'dnc-import-test',
      transport,
      keys: await openTestVault(transport),
      registry: context.registry,
      catalog,
      processors: [phoneScreenProcessor({ duplicateWindowDays: 30, blind: testBlind })],
      log: testLog,
    });
    const leads = [
      leadOn('+14155550121', Date.UTC(2025, 1, 20), 'consent-before-disconnect'),
      leadOn('+14155550121', Date.UTC(2025, 3, 1), 'consent-after-disconnect'),
      leadOn('+14155550103', Date.UTC(2025, 3, 1), 'litigator'),
      leadOn('+14155550101', Date.UTC(2025, 3, 1), 'left-the-registry'),
    ];
    await transport.produce(
      leads.map((lead) => codec.encode(TOPIC.leadsByPhone, phoneKey(lead.identities.phone), lead)),
    );
    await pipeline.waitIdle(60_000);
    await pipeline.stop();

    const rejected = await readValues<RejectedLead>(transport, codec, TOPIC.leadsRejected);
    expect(Object.fromEntries(rejected.map((r) => [r.leadId, r.reasons.map((x) => x.code)]))).toEqual({
      'consent-before-disconnect': ['phone_reassigned'],
      litigator: ['do_not_contact'],
    });
    const passed = await readValues<ValidLead>(transport, codec, TOPIC.leadsByEmail);
    expect(passed.map((lead) => lead.leadId).sort()).toEqual([
      'consent-after-disconnect',
      'left-the-registry',
    ]);
  });
});

describe('leadflow dnc import', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-dnc-cli-'));
  const env = { LEADFLOW_DATA_DIR: dir, LEADFLOW_TRANSPORT: 'embedded', DATABASE_URL: '' };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('imports, keeps an entry added by hand, and reports rejected rows without their numbers', () => {
    expect(runCli(['dnc', 'add', '415-555-0102', '--reason', 'asked not to be called'], env).status).toBe(0);

    const report = path.join(dir, 'rejected.csv');
    const full = runCli(
      ['dnc', 'import', '--format', 'ftc-dnc', fixture('ftc-dnc-full.txt'), '--json', '--report', report],
      env,
    );
    expect(full.stderr).toBe('');
    expect(full.status).toBe(0);
    const summary = JSON.parse(full.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      source: 'ftc:ftc-dnc-full.txt',
      ...{ read: 10, added: 4, kept: 1, rejected: 5 },
    });
    expect(full.stdout).not.toMatch(/415555010\b|5550105/);
    expect(
      fs
        .readFileSync(report, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',')[0]),
    ).toEqual(['line', '6', '7', '8', '9', '10']);

    const reassigned = runCli(
      [
        'dnc',
        'import',
        '--format',
        'reassigned',
        fixture('rnd-results.csv'),
        '--source',
        'RND query 2025-06',
      ],
      env,
    );
    expect(reassigned.status).toBe(0);
    expect(reassigned.stdout).toContain(
      'reassigned (source RND query 2025-06): 9 rows read, 2 added, 0 updated, 0 removed, 2 unchanged, 1 kept',
    );
    expect(reassigned.stdout).toContain('line 9: date "12/31/2099" is not in the past');

    const listed = JSON.parse(runCli(['dnc', 'list', '--json'], env).stdout) as DoNotContact[];
    const byKey = new Map(listed.map((entry) => [entry.key, entry]));
    expect(byKey.get(phoneKey('+14155550102'))).toMatchObject({ kind: 'phone', source: 'cli' });
    expect(byKey.get(phoneKey('+14155550104'))).toMatchObject({ kind: 'national-dnc' });
    expect(byKey.get(phoneKey('+14155550121'))).toMatchObject({
      kind: 'reassigned',
      source: 'RND query 2025-06',
    });

    const noPhone = path.join(dir, 'no-phone.csv');
    fs.writeFileSync(noPhone, 'Name,Case\n"Doe, John",1:24-cv-00001\n');
    const refused = runCli(['dnc', 'import', '--format', 'litigator', noPhone], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('has no phone column');
  });
});
