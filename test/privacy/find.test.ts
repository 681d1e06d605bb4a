/**
 * `leadflow privacy find` after a demo run: a subject who sent a lead is found on the lead topics
 * (read with the leads' keys) and nowhere in the read-model tables, which keep no personal fields
 * (the graph is searched too when Neo4j runs); somebody who never sent one is found nowhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportSubject, findSubject, type SubjectStores } from '../../app/privacy/find';
import { topology } from '../../app/topology';
import { subjectNeedles } from '../../app/privacy/subject';
import { runDemo } from '../../cli/demo';
import { loadConfig } from '../../config';
import { RecordCodec } from '../../runtime/codec';
import { BuiltInSchemaRegistry } from '../../runtime/registry';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import type { RawLead } from '../../schemas/lead';
import { openGraph } from '../../sinks/neo4j';
import { type Database, openDatabase } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { testLog } from '../support/harness';
import { openKeyVault } from '../../app/privacy/key-vault';
import type { KeyVault } from '../../runtime/privacy/vault';
import { neo4jGate, neo4jUrl } from '../support/services';

jest.setTimeout(240_000);

describe('privacy find', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-find-'));
  const transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
  const registry = new BuiltInSchemaRegistry(transport.schemaLog());
  const graphGate = neo4jGate();
  let database: Database;
  let stores: SubjectStores;
  let subject: { email: string; phone: string };
  let codec: RecordCodec;
  let vault: KeyVault;

  beforeAll(async () => {
    if (graphGate.reason) throw new Error(graphGate.reason);
    // The demo's own read models (PGlite in its directory); the shared graph when there is one.
    const env: NodeJS.ProcessEnv = { ...process.env, LEADFLOW_TRANSPORT: 'embedded', LEADFLOW_DATA_DIR: dir };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'NEO4J_URL'])
      delete env[name];
    if (graphGate.run) env.NEO4J_URL = neo4jUrl;
    const config = loadConfig(env);
    await runDemo(
      { leads: 40, seed: 'privacy-find', badShare: 0 },
      { config, log: testLog, transport, registry, dir },
    );
    vault = await openKeyVault(config, transport, testLog);
    codec = new RecordCodec(
      platformCatalog().withProcessors(config.LEADFLOW_APP_ID, topology(config)),
      registry,
      { keys: vault },
    );
    // A lead whose phone and email came as plain text (the generator varies how vendors send them).
    for (const raw of await transport.read(TOPIC.leadsRaw)) {
      const { value } = await codec.decode<RawLead>(raw);
      const { contact } = JSON.parse(value.body) as { contact: { email: unknown; phone: unknown } };
      if (typeof contact.email === 'string' && typeof contact.phone === 'string') {
        subject = { email: contact.email, phone: contact.phone };
        break;
      }
    }
    database = await openDatabase({ dataDir: dir });
    stores = { transport, codec, database, graph: graphGate.run ? await openGraph(config) : undefined };
  });

  afterAll(async () => {
    await stores?.graph?.close();
    await database?.close();
    await vault?.stop();
    await transport.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('finds a subject who sent a lead on every lead topic, and in no table', async () => {
    const places = await findSubject(subjectNeedles(subject), stores);
    const named = (store: string) => places.filter((p) => p.store === store).map((p) => p.name);
    expect(named('topic')).toEqual(
      expect.arrayContaining([
        TOPIC.leadsRaw,
        TOPIC.leadsByPhone,
        TOPIC.leadsByEmail,
        TOPIC.leadsValid,
        TOPIC.leadsEnriched,
        TOPIC.leadsScored,
      ]),
    );
    // lead_events and leads keep each stage's record with its personal fields left empty.
    expect(named('table')).toEqual([]);
    for (const place of places) expect(place.count).toBeGreaterThan(0);
    // By phone alone, the same lead topics.
    const byPhone = await findSubject(subjectNeedles({ phone: subject.phone }), stores);
    expect(byPhone.map((p) => p.name)).toEqual(expect.arrayContaining([TOPIC.leadsRaw, TOPIC.leadsScored]));
  });

  test('exports what it finds, decoded: the records', async () => {
    const needles = subjectNeedles(subject);
    const held = await exportSubject(needles, stores);
    const places = await findSubject(needles, stores);
    const topics = places.filter((p) => p.store === 'topic');
    expect(held.records).toHaveLength(topics.reduce((sum, p) => sum + p.count, 0));
    expect([...new Set(held.records.map((r) => r.topic))].sort()).toEqual(topics.map((p) => p.name).sort());
    const raw = held.records.find((r) => r.topic === TOPIC.leadsRaw)!.value as RawLead;
    expect(JSON.parse(raw.body)).toMatchObject({ contact: { email: subject.email } });
    expect(held.rows).toEqual([]);
    // It is data for a person to read: JSON all the way down.
    expect(() => JSON.stringify(held)).not.toThrow();
  });

  test('finds nobody who never sent a lead', async () => {
    expect(
      await findSubject(
        subjectNeedles({ email: 'nobody.here@example.org', phone: '(907) 555-2368' }),
        stores,
      ),
    ).toEqual([]);
  });
});
