/**
 * A running leadflow with data, for the observability tests: every processor on the embedded
 * log with the PGlite read models, the HTTP app (/metrics, /dashboard) on a free port, agents who
 * answer offers and report outcomes, and an OpenAI-compatible stand-in so the LLM metrics move.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config';
import { generateLeads } from '../../connectors/generator/generate';
import { buildApp } from '../../ingress/app';
import { issueToken } from '../../ingress/auth/tokens';
import { openDashboardSource } from '../../ingress/dashboard/source';
import { toRawLead } from '../../ingress/intake';
import { openIngress } from '../../ingress/server';
import type { AgentResponse, AssignmentEvent } from '../../processors/assign/records';
import type { Agent } from '../../processors/match/records';
import { testAgent } from '../../processors/match/test-fixtures';
import { openAiServices } from '../../processors/score/services';
import { topology } from '../../processors/topology';
import { RecordCodec } from '../../runtime/codec';
import { Pipeline } from '../../runtime/pipeline';
import type { OutgoingRecord } from '../../runtime/records';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { INSURANCE_LINES } from '../../schemas/lead';
import { BuiltInSchemaRegistry } from '../../schemas/registry';
import { US_STATES } from '../../schemas/us-states';
import { reportConsumerLag } from '../../sinks/metrics/consumer-lag';
import { openDatabase } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { startFakeOpenAi } from '../support/fake-openai';
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

/** Licensed everywhere for every line, working around the clock, with room for every lead. */
function anywhereAgent(agentId: string, routingGroup: string): Agent {
  return testAgent({
    agentId,
    routingGroup,
    licences: Object.fromEntries(INSURANCE_LINES.map((line) => [line, US_STATES.map((s) => s.code)])),
    location: null,
    capacity: { daily: 10_000, concurrent: 10_000 },
    workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    queueOutsideHours: true,
  });
}

/** A stable 0..1 draw per lead, so runs are repeatable. */
const draw = (key: string) => createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;

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
  const codec = new RecordCodec(catalog, registry);
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
  });
  const stopLagReport = reportConsumerLag({ transport, appId: APP_ID, processors });

  const counts = { leads: 0, accepted: 0, outcomes: 0 };
  const answered = new Set<string>();
  // Agents accept most offers and decline some; an accepted lead is sold or lost soon after.
  const responder = transport.follow(TOPIC.assignments, async (records) => {
    const out: OutgoingRecord[] = [];
    for (const raw of records) {
      const event = (await codec.decode<AssignmentEvent>(raw)).value;
      if (!event.offerId || !event.agentId || !event.routingGroup) continue;
      const respond = (
        response: AgentResponse['response'],
        outcome: AgentResponse['outcome'] = null,
        extra: Partial<AgentResponse> = {},
      ) => {
        const answer: AgentResponse = {
          responseId: `${event.offerId}/${response}`,
          routingGroup: event.routingGroup!,
          leadId: event.leadId,
          offerId: event.offerId!,
          agentId: event.agentId!,
          response,
          outcome,
          reason: null,
          respondedAt: Date.now(),
          channel: 'test',
          ...extra,
        };
        out.push(codec.encode(TOPIC.agentResponses, answer.routingGroup, answer));
      };
      if ((event.type === 'offered' || event.type === 'reoffered') && !answered.has(event.offerId)) {
        answered.add(event.offerId);
        respond(draw(event.offerId) < 0.8 ? 'accept' : 'decline');
      } else if (event.type === 'accepted') {
        counts.accepted++;
        // Agents report outcomes to assign, which publishes them on lead.outcomes.
        const sold = draw(event.leadId) < 0.35;
        respond('outcome', sold ? 'sold' : 'lost', {
          premiumUsd: sold ? 900 + Math.round(draw(`${event.leadId}/premium`) * 1200) : null,
        });
        counts.outcomes++;
      }
    }
    if (out.length > 0) await transport.produce(out);
  });

  const ingress = await openIngress({
    config: { ...config, LEADFLOW_APP_ID: APP_ID },
    transport,
    registry,
    log: testLog,
    jwtSecret: JWT_SECRET,
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
    await transport.produce(
      leads.map((body, i) => {
        const raw = toRawLead(body, {
          vendorId: body.source?.vendorId ?? 'generator',
          channel: i % 3 === 0 ? 'file' : 'api',
          receivedAt,
        });
        return codec.encode(TOPIC.leadsRaw, raw.leadId, raw);
      }),
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
      await responder.stop();
      await ingress.close();
      await dashboard.close();
      await pipeline.stop();
      await ai.close();
      await database.close();
      await transport.close();
      await llm.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
