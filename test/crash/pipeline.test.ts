/**
 * The whole pipeline on real Kafka, PostgreSQL and Neo4j, run as an operator would: several
 * `leadflow start --processors ...` worker processes. While generated leads flow and simulated
 * agents answer offers, one test SIGKILLs random workers at random moments and starts them again;
 * the other restarts the Kafka broker, then takes PostgreSQL and Neo4j down for 30 s. Afterwards
 * every lead is in exactly one terminal state, nothing on the assignment or reward topics is
 * duplicated or missing, and the Postgres and Neo4j read models agree with the topics.
 *
 * Short setting (CI): CRASH_LEADS=2000 at CRASH_RATE=100 leads/s with at least CRASH_KILLS=8
 * kills. Full setting: `npm run test:crash:full` (100,000 leads, a kill every few seconds
 * throughout).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anywhereAgent, simulateAgents } from '../../bench/agents';
import { disposeBenchTransport } from '../../bench/measure';
import { WORKER_GROUPS, WorkerFleet } from '../../bench/workers';
import { loadConfig } from '../../config';
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { RawLeadWriter } from '../../ingress/lead-writer';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { topology } from '../../app/topology';
import { DEMO_ECONOMICS_YAML } from '../../tools/demo-economics';
import { IntakeGate } from '../../ingress/caps/gate';
import { MemoryCapCounters } from '../../ingress/caps/counters';
import { bidKey } from '../../ingress/ping-post/bid-token';
import { PingPostDesk } from '../../ingress/ping-post/desk';
import { sellByPingPost } from '../../bench/ping-post-vendor';
import type { SoldLead } from '../../schemas/routing-records';
import type { BuyerReturnRequest, Sale } from '../../schemas/sale-records';
import { loadEconomicsConfig } from '../../processors/ledger/economics';
import { RecordCodec } from '../../runtime/codec';
import { createLogger } from '../../runtime/log';
import { createRegistry, createTransport } from '../../app/transport';
import type { RejectedLead } from '../../schemas/lead-records';
import { openGraph } from '../../sinks/neo4j';
import type { Graph } from '../../sinks/neo4j/graph';
import { type Database, dropSchema, openDatabase } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { LEAD_EVENT_TOPICS } from '../../sinks/postgres/lead-events';
import type { Transport } from '../../runtime/transport';
import { eventually } from '../support/harness';
import { openKeyVault } from '../../app/privacy/key-vault';
import {
  databaseUrl,
  kafkaBrokers,
  kafkaGate,
  neo4jGate,
  neo4jUrl,
  postgresGate,
  schemaRegistryUrl,
} from '../support/services';
import {
  capViolations,
  graphAgainstTopics,
  postgresAgainstTopics,
  readTopicFacts,
  type RunCaps,
  terminalStateOf,
  FACT_TOPICS,
  type TopicFacts,
  topicViolations,
  uncommittedInputs,
} from './checks';

const SETTING = {
  leads: Number(process.env.CRASH_LEADS ?? 2000),
  rate: Number(process.env.CRASH_RATE ?? 100),
  kills: Number(process.env.CRASH_KILLS ?? 8),
  /** Seconds between kills: a random pause in this range. */
  killEvery: [3, 8] as const,
  agents: 24,
};
// The full setting spends half an hour killing workers, and each restart costs CPU that the
// pipeline then lacks: on 2026-12-02 its 100,000 leads were still settling after 65 minutes
// (the bound was leads/rate x 3 s then), so the bound is leads/rate x 5 s.
jest.setTimeout(15 * 60_000 + (SETTING.leads / SETTING.rate) * 5000);

const services = path.join(__dirname, '..', '..', 'deploy', 'local', 'services.sh');
const gates = [kafkaGate(), postgresGate(), neo4jGate()];
const canRun = gates.every((gate) => gate.run);

(canRun ? describe : describe.skip)('the pipeline through crashes and outages (kafka)', () => {
  beforeAll(() => {
    const missing = gates.find((gate) => gate.reason);
    if (missing) throw new Error(missing.reason);
  });

  test(`SIGKILL random workers at least ${SETTING.kills} times while ${SETTING.leads} leads flow`, async () => {
    const run = await openRun('kill');
    let passed = false;
    try {
      const source = run.sendLeads();
      let kills = 0;
      while (!source.done || kills < SETTING.kills) {
        await sleep(between(...SETTING.killEvery) * 1000);
        const victim = pick(run.fleet.names);
        await run.fleet.kill(victim);
        kills++;
        // Sometimes at once, sometimes after the group has noticed and moved its partitions.
        await sleep(between(0, 12) * 1000);
        run.fleet.start(victim);
      }
      await source.finished;
      await run.verify();
      expect(kills).toBeGreaterThanOrEqual(SETTING.kills);
      passed = true;
    } finally {
      await run.dispose(passed);
    }
  });

  test('a Kafka broker restart, then PostgreSQL and Neo4j down for 30 s: nothing lost, sinks catch up', async () => {
    const run = await openRun('outage');
    let passed = false;
    try {
      const source = run.sendLeads();
      await eventually(
        () => run.finalLeads() >= SETTING.leads / 4,
        600_000,
        'a quarter of the leads to settle',
      );
      // The lead source is a vendor: it waits while the broker is away rather than guess.
      source.paused = true;
      servicesSh('down', 'kafka');
      await sleep(5000);
      servicesSh('up', 'kafka');
      source.paused = false;

      await eventually(() => run.finalLeads() >= SETTING.leads / 2, 600_000, 'half of the leads to settle');
      servicesSh('down', 'postgres', 'neo4j');
      await sleep(30_000);
      servicesSh('up', 'postgres', 'neo4j');

      await source.finished;
      await run.verify();
      passed = true;
    } finally {
      await run.dispose(passed);
    }
  });
});

/** One isolated deployment: its own topic prefix, consumer groups, Postgres schema and agents. */
async function openRun(label: string) {
  const id = `crash-${label}-${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `leadflow-${id}-`));
  const schema = id.replace(/-/g, '_');
  const env = {
    LEADFLOW_TRANSPORT: 'kafka',
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${id}.`,
    LEADFLOW_APP_ID: id,
    SCHEMA_REGISTRY_URL: schemaRegistryUrl,
    DATABASE_URL: databaseUrl,
    LEADFLOW_DATABASE_SCHEMA: schema,
    NEO4J_URL: neo4jUrl,
    LEADFLOW_JWT_SECRET: randomBytes(32).toString('hex'),
    LEADFLOW_PRIVACY_KEY: randomBytes(32).toString('base64'),
    LEADFLOW_DATA_DIR: dir,
    LEADFLOW_GRAPH_JOB_INTERVAL_MS: '10000',
    LEADFLOW_ECONOMICS_CONFIG: path.join(dir, 'economics.yaml'),
    LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'warn',
  };
  const agentIds = Array.from({ length: SETTING.agents }, (_, i) => `${id}-agent-${i + 1}`);
  // The demo's prices, returns and buyers, and caps to hold: one vendor's daily intake, two
  // agents' weeks, the day of the buyer that bids most for auto leads.
  const caps: RunCaps = {
    vendor: 'summit-commercial',
    daily: 40,
    agentWeekly: Object.fromEntries(agentIds.slice(0, 2).map((agentId) => [agentId, 5])),
    buyerDaily: { 'autoquote-direct': 10 },
  };
  fs.writeFileSync(
    env.LEADFLOW_ECONOMICS_CONFIG,
    `${DEMO_ECONOMICS_YAML}
caps:
  vendors: [{ vendor: ${caps.vendor}, daily: ${caps.daily} }]
  agents: { ${Object.entries(caps.agentWeekly)
    .map(([agentId, weekly]) => `${agentId}: { weekly: ${weekly} }`)
    .join(', ')} }
  buyers: { autoquote-direct: { daily: ${caps.buyerDaily['autoquote-direct']} } }
`,
  );
  const config = loadConfig(env);
  const log = createLogger('warn');
  const transport = createTransport(config, log);
  const registry = createRegistry(config, transport);
  const catalog = platformCatalog();
  const database = await openDatabase({ ...config, schema });
  const graph = (await openGraph(config))!;
  const processors = topology(config, { database, graph });
  await transport.applyTopics(catalog.withProcessors(id, processors).all());
  const fleetProcessors = new Set(Object.values(WORKER_GROUPS).flat());
  const runProcessors = processors.filter((p) => fleetProcessors.has(p.name));
  const checkedTopics = [...FACT_TOPICS, ...LEAD_EVENT_TOPICS];
  const vault = await openKeyVault(config, transport, log);
  const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix, keys: vault });
  await codec.prepare([TOPIC.agents, TOPIC.leadsRaw, TOPIC.agentResponses, TOPIC.buyerReturns]);

  await transport.produce(
    agentIds.map((agentId, i) =>
      codec.encode(TOPIC.agents, agentId, anywhereAgent(agentId, i % 2 === 0 ? 'west' : 'east')),
    ),
  );
  const fleet = new WorkerFleet(WORKER_GROUPS, env, dir);
  fleet.startAll();

  const finals = new FinalStates();
  const agents = simulateAgents({ transport, codec, onEvent: (event) => finals.assignment(event) });
  const rejections = transport.follow(TOPIC.leadsRejected, async (records) => {
    for (const record of records) finals.rejection((await codec.decode<RejectedLead>(record)).value);
  });
  // Buyers give back every third lead they are sold: by turns a trusted reason (approved at once)
  // or one a reviewer approves, each sent twice as a retrying client would.
  let soldCount = 0;
  const sales = transport.follow(TOPIC.leadsSold, async (records) => {
    for (const record of records) {
      const sold = (await codec.decode<SoldLead>(record)).value;
      finals.sale(sold);
      if (soldCount++ % 3 !== 0) continue;
      const reviewed = soldCount % 2 === 0;
      const request = (action: BuyerReturnRequest['action'], n: number): BuyerReturnRequest => ({
        requestId: `${sold.leadId}:${action}:${n}`,
        buyerId: sold.sale.buyers[0]!.buyerId,
        leadId: sold.leadId,
        action,
        reason: action === 'return' ? (reviewed ? 'other' : 'bad_phone') : null,
        by: action === 'return' ? null : 'crash-reviewer',
        at: Date.now(),
      });
      const requests = reviewed
        ? [request('return', 1), request('return', 2), request('approve', 1)]
        : [request('return', 1), request('return', 2)];
      await transport.produce(requests.map((r) => codec.encode(TOPIC.buyerReturns, r.buyerId, r)));
    }
  });
  const generated = generateLeads({ count: SETTING.leads, seed: id });
  const bodies = generated.leads;
  const sent: string[] = [];
  /** The vendor of each lead the gate kept out. */
  const refusedVendors: string[] = [];

  const diagnostics = (facts?: TopicFacts) =>
    [
      `run ${id}: ${sent.length} leads sent, ${finals.count} final; worker starts ${JSON.stringify(Object.fromEntries(fleet.starts))}`,
      facts ? `topics: ${facts.rawLeadIds.length} raw, ${facts.assignments.length} assignment events` : '',
      ...fleet.names.map(
        (name) => `--- ${name} (last lines of ${fleet.dir}/${name}.log)\n${fleet.tail(name, 15)}`,
      ),
    ].join('\n');

  return {
    fleet,
    finalLeads: () => finals.count,
    sendLeads() {
      // Ingress's gate and ping-post desk, counting in this process: the run's only writer.
      const economics = loadEconomicsConfig(env.LEADFLOW_ECONOMICS_CONFIG);
      const counters = new MemoryCapCounters();
      const writer = new RawLeadWriter(transport, codec, vault, new IntakeGate(economics, counters));
      const desk = new PingPostDesk(economics, counters, bidKey(env.LEADFLOW_JWT_SECRET));
      /** Every fifth good lead is pinged and posted, as a vendor selling it by ping-post would. */
      const saleOf = async (i: number): Promise<Sale | undefined> => {
        const vendorId = bodies[i]!.source?.vendorId ?? 'crash';
        if (i % 5 !== 0 || generated.outcomes[i]!.badKind || vendorId === caps.vendor) return undefined;
        return sellByPingPost(desk, vendorId, bodies[i]);
      };
      const source = { sent: 0, done: false, paused: false, finished: Promise.resolve() };
      source.finished = (async () => {
        const startedAt = Date.now();
        for (let i = 0; i < bodies.length;) {
          const due = startedAt + Math.floor((i * 1000) / SETTING.rate);
          if (source.paused || due > Date.now()) {
            await sleep(source.paused ? 200 : due - Date.now());
            continue;
          }
          const chunk = [];
          for (
            ;
            i < bodies.length && chunk.length < 200 && startedAt + (i * 1000) / SETTING.rate <= Date.now();
            i++
          ) {
            const body = bodies[i]!;
            const sale = await saleOf(i);
            chunk.push(
              toRawLead(body, {
                vendorId: body.source?.vendorId ?? 'crash',
                channel: sale ? 'ping-post' : 'api',
                receivedAt: Date.now(),
                sale,
              }),
            );
          }
          const refused = new Set((await writer.write(chunk)).map((r) => r.index));
          for (const [index, lead] of chunk.entries()) {
            if (refused.has(index)) refusedVendors.push(lead.vendorId);
            else sent.push(lead.leadId);
          }
          source.sent = sent.length;
        }
        source.done = true;
      })();
      // Awaited by the test once the leads are in; a check that fails before then closes the
      // transport under the source, whose rejection must not end the run before it reports why.
      source.finished.catch(() => undefined);
      return source;
    },

    /** Waits for every lead to settle and the sinks to catch up, then checks everything. */
    async verify() {
      await finals.waitFor(sent, 240_000).catch(async (error: Error) => {
        // Where the missing leads wait: the processors that have not committed all of their input.
        const behind = await uncommittedInputs(transport, id, runProcessors).catch((e: Error) => [
          `(could not be read: ${e.message})`,
        ]);
        throw new Error(`${error.message}\nbehind: ${behind.join('; ') || 'none'}\n${diagnostics()}`);
      });
      expect(fleet.exitedUnexpectedly()).toEqual([]);
      // The topics settle (outcomes, rewards and feedback follow acceptance): every processor has
      // committed all of its input and the end offsets stop moving. Reading and decoding every
      // topic is costly at 100,000 leads, so it happens once then, and again only if the topics
      // still moved (a timer's output); meanwhile the sinks get time to catch up with the facts.
      const settledFacts = async () => {
        await topicsSettle(
          transport,
          checkedTopics,
          () => uncommittedInputs(transport, id, runProcessors),
          300_000,
        );
        return {
          ends: await endOffsets(transport, checkedTopics),
          facts: await readTopicFacts(transport, codec),
        };
      };
      let read = await settledFacts();
      let sinks = await sinkCounts(database, graph, read.facts);
      for (const deadline = Date.now() + 300_000; Date.now() < deadline;) {
        const moved = (await endOffsets(transport, checkedTopics)) !== read.ends;
        if (!moved && sinks.agree) break;
        if (moved) read = await settledFacts();
        else await sleep(3000);
        sinks = await sinkCounts(database, graph, read.facts);
      }
      const { facts } = read;
      const violations = [...topicViolations(sent, facts), ...capViolations(facts, caps, refusedVendors)];
      if (violations.length > 0) throw new Error(`${violations.join('\n')}\n${diagnostics(facts)}`);
      if (!sinks.agree) {
        throw new Error(
          `the sinks do not agree with the topics: ${JSON.stringify({ postgres: sinks.postgres, graph: sinks.graph })}\n${diagnostics(facts)}`,
        );
      }
      const accepted = facts.assignments.filter((e) => e.type === 'accepted').length;
      // The run exercised the whole flow, not a corner of it; the simulated agents report one
      // outcome for every lead they accept.
      const flow = {
        acceptedOverHalf: accepted > SETTING.leads / 2,
        outcomesPerAccepted: facts.outcomes.length / accepted,
        rewards: facts.rewards.length > 0,
        rejected: facts.rejected.length > 0,
      };
      const expected = { acceptedOverHalf: true, outcomesPerAccepted: 1, rewards: true, rejected: true };
      if (JSON.stringify(flow) !== JSON.stringify(expected)) {
        throw new Error(`the flow is incomplete: ${JSON.stringify(flow)}\n${diagnostics(facts)}`);
      }
    },

    async dispose(passed: boolean) {
      await fleet.stopAll();
      await agents.stop();
      await rejections.stop();
      await sales.stop();
      await vault.stop();
      // In pieces: the full setting's 100,000 leads in one transaction exceed Neo4j's
      // transaction memory limit, and that error, thrown here, hid the checks' outcome.
      const removeFromGraph = (label: 'Lead' | 'Agent', key: string, ids: readonly string[]) =>
        graph.execute(
          `MATCH (n:${label}) WHERE n.${key} IN $ids
           OPTIONAL MATCH (n)-[:IN_HOUSEHOLD]->(h:Household)
           DETACH DELETE n, h`,
          { ids },
        );
      for (let i = 0; i < sent.length; i += 5000)
        await removeFromGraph('Lead', 'leadId', sent.slice(i, i + 5000));
      await removeFromGraph('Agent', 'agentId', agentIds);
      await graph.close();
      await database.close();
      await dropSchema(databaseUrl, schema);
      // With CRASH_KEEP_LOGS the workers' logs stay for a look, and after a failure the run's
      // topics too (prefix `${id}.`), to find out what was written twice or not at all.
      const keep = Boolean(process.env.CRASH_KEEP_LOGS);
      if (keep) fs.cpSync(dir, path.join(os.tmpdir(), `leadflow-logs-${id}`), { recursive: true });
      await disposeBenchTransport(transport, id, dir, { keepTopics: keep && !passed });
    },
  };
}

/** Where each lead ended, from the assignments and rejections topics as they flow. */
class FinalStates {
  private readonly final = new Set<string>();
  private lastChange = Date.now();

  get count(): number {
    return this.final.size;
  }

  assignment(event: AssignmentEvent): void {
    if (terminalStateOf(event)) this.settle(event.leadId);
  }

  rejection(lead: RejectedLead): void {
    this.settle(lead.leadId);
  }

  sale(sold: SoldLead): void {
    this.settle(sold.leadId);
  }

  /** Resolves when every lead has a final state; rejects after `stallMs` without one settling. */
  async waitFor(leadIds: readonly string[], stallMs: number): Promise<void> {
    for (;;) {
      const open = leadIds.filter((id) => !this.final.has(id));
      if (open.length === 0) return;
      if (Date.now() - this.lastChange > stallMs) {
        throw new Error(`${open.length} leads have no final state, e.g. ${open.slice(0, 5).join(', ')}`);
      }
      await sleep(500);
    }
  }

  private settle(leadId: string): void {
    if (this.final.has(leadId)) return;
    this.final.add(leadId);
    this.lastChange = Date.now();
  }
}

async function sinkCounts(database: Database, graph: Graph, facts: TopicFacts) {
  const postgres = await postgresAgainstTopics(database, facts).catch(() => null);
  const graphCounts = await graphAgainstTopics(graph, facts).catch(() => null);
  const same = (c: { stored: object; expected: object } | null) =>
    c !== null && JSON.stringify(c.stored) === JSON.stringify(c.expected);
  return {
    postgres: postgres ?? { stored: 'unreachable', expected: 'reachable' },
    graph: graphCounts ?? { stored: 'unreachable', expected: 'reachable' },
    agree: same(postgres) && same(graphCounts),
  };
}

/** The topics' end offsets (last stable offsets), as one comparable string. */
const endOffsets = async (transport: Transport, topics: readonly string[]) =>
  JSON.stringify((await transport.describeTopics(topics)).map((t) => t.endOffsets));

/**
 * Waits until no processor has input left to commit and the topics' end offsets hold still over
 * two looks 3 s apart. Quiet end offsets alone were not enough: a worker killed inside a
 * transaction holds the last stable offset back until its replacement fences it, tens of seconds.
 */
async function topicsSettle(
  transport: Transport,
  topics: readonly string[],
  uncommitted: () => Promise<string[]>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let last = await endOffsets(transport, topics);
  let behind: string[] = [];
  for (let quiet = 0; quiet < 2;) {
    if (Date.now() > deadline)
      throw new Error(`the topics still move after ${timeoutMs / 1000} s; uncommitted: ${behind.join('; ')}`);
    await sleep(3000);
    const now = await endOffsets(transport, topics);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    if (quiet === 2) {
      behind = await uncommitted();
      if (behind.length > 0) quiet = 0;
    }
  }
}

function servicesSh(command: 'up' | 'down', ...names: string[]): void {
  execFileSync(services, [command, ...names], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const between = (low: number, high: number) => low + Math.random() * (high - low);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
