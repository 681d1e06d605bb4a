/**
 * Issue 19's "done when": after `leadflow demo` and erasing one subject, a byte search of the whole
 * data directory (the embedded log file and the database files) finds none of the subject's
 * email, phone or name; the funnel counts are what they were; `privacy find` finds nothing, and
 * the request's status is done. (Personal fields are sealed, so names are never in plaintext, not
 * even before the erasure; after it, they cannot be read at all.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { erasureDone, requestErasure } from '../../ingress/erasure-requests';
import { findSubject, type SubjectStores } from '../../app/privacy/find';
import { openKeyVault } from '../../app/privacy/key-vault';
import { subjectNeedles } from '../../app/privacy/subject';
import { emailIdentity } from '../../processors/validate/email';
import { topology } from '../../app/topology';
import { runDemo } from '../../cli/demo';
import { loadConfig } from '../../config';
import { RecordCodec } from '../../runtime/codec';
import { Pipeline } from '../../runtime/pipeline';
import { withholdPersonal } from '../../runtime/privacy/sealing';
import { BuiltInSchemaRegistry } from '../../runtime/registry';
import { EmbeddedTransport, embeddedLogFile } from '../../runtime/transports/embedded';
import type { RawLead } from '../../schemas/lead';
import { readFunnel } from '../../sinks/funnel';
import { openDatabase } from '../../sinks/postgres/database';
import { erasureStatus } from '../../sinks/postgres/privacy';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { testLog } from '../support/harness';
import { runCli } from '../support/cli';
import { testBlind } from '../support/privacy';
import { identityKey } from '../../processors/validate/identities';

jest.setTimeout(300_000);

/** Every file under `dir`, as lower-cased Latin-1 text (bytes as they are). */
function filesUnder(dir: string): { file: string; text: string }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((entry) => {
    if (!entry.isFile()) return [];
    const file = path.join(entry.parentPath, entry.name);
    return [{ file, text: fs.readFileSync(file).toString('latin1').toLowerCase() }];
  });
}

/** Every record of every topic as text, the leads' personal fields left out. */
async function everythingButPersonalFields(
  transport: EmbeddedTransport,
  codec: RecordCodec,
): Promise<string> {
  const texts: string[] = [];
  for (const { name } of await transport.describeTopics()) {
    const avro = codec.catalog.has(name) && codec.catalog.get(name).format === 'avro';
    for (const raw of await transport.read(name)) {
      if (!avro) {
        texts.push(`${raw.key?.toString('latin1')} ${raw.value?.toString('latin1')}`);
        continue;
      }
      const { key, value } = await codec.decode(raw);
      texts.push(JSON.stringify([key, withholdPersonal(codec.sealingPlan(name), value)]));
    }
  }
  return texts.join('\n').toLowerCase();
}

/** What an empty data directory (migrated database, empty log) holds as text: catalog names and the like. */
async function emptyDataDirText(): Promise<string> {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-erasure-empty-'));
  try {
    const transport = new EmbeddedTransport({ file: embeddedLogFile(empty) });
    await transport.applyTopics(platformCatalog().all());
    await transport.close();
    await (await openDatabase({ dataDir: empty })).close();
    return filesUnder(empty)
      .map((f) => f.text)
      .join('\n');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
}

test('after the demo and one erasure, nothing of the subject is left in the data directory', async () => {
  const baseline = await emptyDataDirText();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-erasure-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LEADFLOW_TRANSPORT: 'embedded', LEADFLOW_DATA_DIR: dir };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'NEO4J_URL'])
    delete env[name];
  const config = loadConfig(env);
  const transport = new EmbeddedTransport({ file: embeddedLogFile(dir) });
  const registry = new BuiltInSchemaRegistry(transport.schemaLog());
  try {
    await runDemo(
      { leads: 80, seed: 'erasure', badShare: 0.2 },
      { config, log: testLog, transport, registry, dir },
    );

    const vault = await openKeyVault(config, transport, testLog);
    const catalog = platformCatalog().withProcessors(config.LEADFLOW_APP_ID, topology(config));
    const codec = new RecordCodec(catalog, registry, { keys: vault });
    const raws = await Promise.all(
      (await transport.read(TOPIC.leadsRaw)).map(async (raw) => (await codec.decode<RawLead>(raw)).value),
    );
    // The subject: a lead sent with a plain email and phone, whose names are not also a word held
    // outside the leads' personal fields (an agent's or partner's name, a city, an insurer, a car)
    // or by an empty database (catalog names), so a hit means them.
    const facts = (await everythingButPersonalFields(transport, codec)) + baseline;
    const subject = raws.find((raw) => {
      const contact = raw.lead?.contact;
      return (
        contact?.email &&
        emailIdentity(contact.email) !== null &&
        /^\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}$/.test(contact.phone) &&
        [contact.firstName, contact.lastName].every(
          (name) => name.length >= 4 && !facts.includes(name.toLowerCase()),
        )
      );
    })!.lead!.contact;
    const query = { email: subject.email!, phone: subject.phone };
    const needles = [
      ...subjectNeedles(query),
      subject.firstName.toLowerCase(),
      subject.lastName.toLowerCase(),
    ];

    const database = await openDatabase({ dataDir: dir });
    const stores: SubjectStores = { transport, codec, database };
    const funnelBefore = await readFunnel(transport, codec);
    const stagesBefore = (
      await database.query('SELECT stage, count(*)::int AS n FROM lead_events GROUP BY stage ORDER BY stage')
    ).rows;
    expect((await findSubject(subjectNeedles(query), stores)).map((p) => p.name)).toContain(TOPIC.leadsRaw);

    // The erasure, through the same stages `leadflow start` runs.
    const pipeline = await Pipeline.start({
      appId: config.LEADFLOW_APP_ID,
      transport,
      registry,
      catalog: platformCatalog(),
      processors: topology(config, { database }),
      log: testLog,
      keys: vault,
    });
    const deps = { transport, codec, blind: vault.blind };
    const requestedAt = Date.now();
    const request = await requestErasure(query, deps, 'test', requestedAt);
    const done = await erasureDone(deps, { ...request, requestedAt }, 120_000);
    expect(done).not.toBeNull();
    await pipeline.waitIdle(120_000);
    await pipeline.stop();
    const erased = new Set(done!.flatMap((part) => part.leadIds));
    expect(erased.size).toBeGreaterThan(0);

    expect(await erasureStatus(database, request.requestId)).toMatchObject({
      status: 'done',
      leads: erased.size,
    });
    expect(await findSubject(subjectNeedles(query), stores)).toEqual([]);
    expect(await readFunnel(transport, codec)).toEqual(funnelBefore);
    expect(
      (
        await database.query(
          'SELECT stage, count(*)::int AS n FROM lead_events GROUP BY stage ORDER BY stage',
        )
      ).rows,
    ).toEqual(stagesBefore);

    await database.close();
    await vault.stop();
    await transport.close();
    const hits = filesUnder(dir).flatMap(({ file, text }) =>
      needles
        .filter((needle) => text.includes(needle))
        .map((needle) => `${path.relative(dir, file)}: ${needle}`),
    );
    expect(hits).toEqual([]);
  } finally {
    await transport.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('leadflow privacy erase writes the request, and names the field it cannot read', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-erase-cli-'));
  try {
    const env = { LEADFLOW_DATA_DIR: dir, LEADFLOW_TRANSPORT: 'embedded', DATABASE_URL: '' };
    const bad = runCli(['privacy', 'erase', '--email', 'nobody-at-all', '--phone', '(415) 555-0100'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('email: not an email address');
    expect(bad.stderr).not.toContain('nobody-at-all');

    const asked = runCli(['privacy', 'erase', '--email', 'Ann.Lee@example.com', '--json'], env);
    expect(asked.status).toBe(0);
    expect(JSON.parse(asked.stdout)).toMatchObject({
      request_id: expect.stringMatching(/^erasure-/),
      status: 'pending',
    });
    const transport = new EmbeddedTransport({ file: embeddedLogFile(dir) });
    try {
      const [request] = await transport.read(TOPIC.privacySubjects);
      // Keyed by the identity's blind index: the request itself holds no address.
      expect(request!.key!.toString('latin1')).toContain(
        identityKey('email', 'ann.lee@example.com', testBlind),
      );
      expect(request!.value!.toString('latin1').toLowerCase()).not.toContain('ann.lee');
    } finally {
      await transport.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
