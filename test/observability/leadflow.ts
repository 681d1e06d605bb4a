/**
 * A running leadflow with data, for the observability tests: every processor on the embedded
 * log with the PGlite read models, the HTTP app (/metrics, /dashboard) on a free port, agents who
 * answer offers and report outcomes, and an OpenAI-compatible stand-in so the LLM metrics move.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anywhereAgent, simulateAgents } from '../../bench/agents';
import { loadConfig } from '../../config';
import { generateLeads } from '../../tools/generator/generate';
import { buildApp } from '../../ingress/app';
import { issueToken } from '../../ingress/auth/tokens';
import { openDashboardSource } from '../../ingress/dashboard/source';
import { toRawLead } from '../../schemas/raw-lead';
import { openIngress } from '../../ingress/server';
import { openAiServices } from '../../app/ai-services';
import { topology } from '../../app/topology';
import { RecordCodec } from '../../runtime/codec';
import { Pipeline } from '../../runtime/pipeline';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { BuiltInSchemaRegistry } from '../../runtime/registry';
import { reportConsumerLag } from '../../sinks/metrics/consumer-lag';
import { openDatabase } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { startFakeOpenAi } from '../support/fake-openai';
import { openTestVault } from '../support/privacy';
import { eventually, testLog } from '../support/harness';

const JWT_SECRET = 'observability-test-secret-0123456789abcdef';
const APP_ID = 'leadflow';

export interface RunningLeadflow {
  base: string;
  /** An admin JWT for /dashboard/data. */
  adminToken: string;
  /** Leads sent, assignment offers accepted and outcomes reported so far. */
  counts: { leads: number; accepted: number; outcomes: number };
  sendLeads(count: number): Promise<void>;
  /** Bytes on leads.raw that no stage can decode: they end in dead letter topics. */
  sendUnreadableRecord(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLeadflowWithData(options: { leads: number }): Promise<RunningLeadflow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-observability-'));
  const llm = await startFakeOpenAi();
  const config = loadConfig({
    LEADFLOW_DATA_DIR: dir,
    LEADFLOW_APP_ID: APP_ID,
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: 'test-key',
    OPENAI_MODEL: 'gpt-4o-mini',
    LEADFLOW_LLM_USD_PER_MTOK_INPUT: '0.15',
    LEADFLOW_LLM_USD_PER_MTOK_OUTPUT: '0.6',
  });
  const transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
  const registry = new BuiltInSchemaRegistry(transport.schemaLog());
  const database = await openDatabase(config);
  const ai = openAiServices(config, database, testLog);
  const processors = topology(config, { database }, ai);
  const catalog = platformCatalog();
  await transport.applyTopics(catalog.withProcessors(APP_ID, processors).all());
  const vault = await openTestVault(transport);
  const codec = new RecordCodec(catalog, registry, { keys: vault });
  await codec.prepare([TOPIC.agents, TOPIC.leadsRaw, TOPIC.agentResponses]);

  // Agents first: match reads them as a global table.
  const agents = ['alba', 'bruno', 'chen', 'dana', 'emeka', 'fumiko'].map((name, i) =>
    anywhereAgent(name, i % 2 === 0 ? 'west' : 'east'),
  );
  await transport.produce(agents.map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)));

  const pipeline = await Pipeline.start({
    appId: APP_ID,
    transport,
    registry,
    catalog,
    processors,
    log: testLog,
    keys: vault,
  });
  const stopLagReport = reportConsumerLag({ transport, appId: APP_ID, processors });

  const agentsAtWork = simulateAgents({ transport, codec });
  const counts = Object.assign(agentsAtWork.counts, { leads: 0 });

  const ingress = await openIngress({
    config: { ...config, LEADFLOW_APP_ID: APP_ID },
    transport,
    registry,
    log: testLog,
    jwtSecret: JWT_SECRET,
    vault,
    stages: processors,
    readModels: database,
  });
  const dashboard = await openDashboardSource({ transport, registry, log: testLog, readModels: database });
  const app = await buildApp({
    transport,
    log: testLog,
    processors: () =>
      pipeline.runs.map((run) => ({ name: run.processor, partitions: run.assignedPartitions() })),
    api: ingress.api,
    readiness: ingress.readiness,
    dashboard: dashboard.source,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let batches = 0;
  /** Sends generated leads (some deliberately bad) and waits until every stage has taken them in. */
  const sendLeads = async (count: number) => {
    const { leads } = generateLeads({ count, seed: `observability-${batches++}`, badShare: 0.15 });
    const receivedAt = Date.now();
    const outcomesBefore = counts.outcomes;
    await ingress.api.writer.write(
      leads.map((body, i) =>
        toRawLead(body, {
          vendorId: body.source?.vendorId ?? 'generator',
          channel: i % 3 === 0 ? 'file' : 'api',
          receivedAt,
        }),
      ),
    );
    counts.leads += count;
    await pipeline.waitIdle(300_000);
    await eventually(() => counts.outcomes > outcomesBefore, 120_000, 'agents accept offers');
    await pipeline.waitIdle(300_000);
  };
  await sendLeads(options.leads);

  return {
    base: `http://127.0.0.1:${port}`,
    adminToken: issueToken(
      JWT_SECRET,
      { subject: 'dashboard-test', role: 'admin', scopes: [], ttlSeconds: 3600 },
      Date.now(),
    ),
    counts,
    sendLeads,
    async sendUnreadableRecord() {
      await transport.produce([
        {
          topic: TOPIC.leadsRaw,
          partition: 0,
          key: Buffer.from('unreadable'),
          value: Buffer.from('not avro at all'),
          headers: {},
          timestamp: Date.now(),
        },
      ]);
      await pipeline.waitIdle(60_000);
    },
    async stop() {
      await app.close();
      stopLagReport();
      await agentsAtWork.stop();
      await ingress.close();
      await dashboard.close();
      await pipeline.stop();
      await vault.stop();
      await ai.close();
      await database.close();
      await transport.close();
      await llm.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
