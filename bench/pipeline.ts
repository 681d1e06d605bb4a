import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { commitPolicy, type Config, loadConfig } from '../config';
import { generateLeads, type LeadBody } from '../tools/generator/generate';
import { toRawLead } from '../schemas/raw-lead';
import { RawLeadWriter } from '../ingress/lead-writer';
import type { AssignmentEvent } from '../schemas/assignment-records';
import { topology } from '../app/topology';
import { RecordCodec } from '../runtime/codec';
import { openKeyVault } from '../app/privacy/key-vault';
import type { KeyVault } from '../runtime/privacy/vault';
import { Pipeline } from '../runtime/pipeline';
import { createRegistry } from '../app/transport';
import type { Processor } from '../runtime/processor';
import { createLogger } from '../runtime/log';
import { createKafka } from '../runtime/transports/kafka/client';
import { TopicNames } from '../runtime/transports/kafka/convert';
import type { Catalog } from '../runtime/catalog';
import { groupId, type Transport } from '../runtime/transport';
import type { RejectedLead } from '../schemas/lead-records';
import type { SchemaRegistry } from '../runtime/registry';
import { type Database, dropSchema, openDatabase } from '../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../topics/platform';
import { anywhereAgents, simulateAgents } from './agents';
import { benchEngine } from './engine';
import { type HopLatency, leadHops } from './hops';
import { type Traffic, trafficPerLead } from './traffic';
import { benchTransport, disposeBenchTransport, percentile, RssSampler } from './measure';
import { WORKER_GROUPS, WorkerFleet } from './workers';

export interface PipelineBenchOptions {
  transport: 'embedded' | 'kafka';
  leads: number;
  /** Leads per second on a fixed schedule (open loop); as fast as possible without it. */
  rate?: number;
  agents: number;
  /** Also run the database sinks (PostgreSQL with DATABASE_URL, else PGlite). */
  database: boolean;
  /**
   * Run the stages as `leadflow start --processors ...` worker processes (WORKER_GROUPS) instead
   * of inside the bench process. Kafka only.
   */
  spread?: boolean;
  /** Also break the latency down hop by hop (leadHops). */
  hops?: boolean;
  /**
   * Seconds at the start of the run whose leads are left out of the latency figures (they still
   * count for throughput): a fresh process runs its first seconds before the JIT has compiled the
   * hot paths, and at a fixed rate the backlog built then outweighs the steady state in a p99.
   */
  warmupSeconds?: number;
  /** Records for the `bench engine` baseline run after the pipeline; 0 skips it. */
  engineRecords: number;
  /** Gives up when no lead reaches a final state for this long. */
  stallMs?: number;
  env: Partial<Record<string, string>>;
  log: Logger;
}

export interface PipelineBenchResult {
  transport: string;
  leads: number;
  rate: number | null;
  agents: number;
  database: boolean;
  assigned: number;
  rejected: number;
  unroutable: number;
  manual_queue: number;
  /** Leads with no final state when the run gave up (0 in a complete run). */
  unfinished: number;
  seconds: number;
  leads_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Seconds of warm-up left out of the latency figures. */
  warmup_s: number;
  /** Assigned leads the latency figures count: those received after the warm-up. */
  measured: number;
  /** With `hops`: p50/p99 of each hop from ingress to the accepted offer. */
  hops: HopLatency[] | null;
  /** Records written and read per lead over the run (bench/traffic.ts). */
  traffic: Traffic;
  /** Peak resident memory per process: `bench` (lead source, simulated agents, and the stages unless spread) and each worker. */
  peak_rss_mb: Record<string, number>;
  /** Worker processes the stages ran in (1: all inside the bench process). */
  processes: number;
  engine_records_per_s: number | null;
  engine_baseline_records_per_s: number | null;
}

/** Where each lead ended, and how long assigned leads took from ingress to the accepted offer. */
class Outcomes {
  readonly assigned = new Set<string>();
  readonly rejected = new Set<string>();
  readonly unroutable = new Set<string>();
  readonly manualQueue = new Set<string>();
  /** Ingress to the accepted offer, for assigned leads received from `measuredFrom` on. */
  readonly latencies: number[] = [];
  /** Leads received before this (epoch ms) are warm-up: left out of `latencies`. */
  measuredFrom = 0;
  lastFinishedAt = 0;
  private finished = 0;
  private onAll: (() => void) | undefined;

  constructor(private readonly expected: number) {}

  assignment(event: AssignmentEvent): void {
    if (event.type === 'accepted' && this.add(this.assigned, event.leadId)) {
      if (event.lead.receivedAt >= this.measuredFrom) this.latencies.push(event.at - event.lead.receivedAt);
    } else if (event.type === 'unroutable') this.add(this.unroutable, event.leadId);
    else if (event.type === 'escalated' && event.escalation === 'manual_queue') {
      this.add(this.manualQueue, event.leadId);
    }
  }

  rejection(lead: RejectedLead): void {
    this.add(this.rejected, lead.leadId);
  }

  /** Resolves when every lead has a final state, or rejects after `stallMs` without progress. */
  all(stallMs: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = -1;
      const timer = setInterval(() => {
        if (this.finished === seen) finish();
        seen = this.finished;
      }, stallMs);
      const finish = () => {
        clearInterval(timer);
        resolve();
      };
      this.onAll = finish;
      if (this.finished >= this.expected) finish();
    });
  }

  get unfinished(): number {
    return this.expected - this.finished;
  }

  private add(set: Set<string>, leadId: string): boolean {
    if (set.has(leadId)) return false;
    set.add(leadId);
    this.finished++;
    this.lastFinishedAt = Date.now();
    if (this.finished >= this.expected) this.onAll?.();
    return true;
  }
}

/**
 * `leadflow bench pipeline`: generated leads enter leads.raw as ingress writes them and flow
 * through the whole topology (validate ... assign, notify, report-outcomes, reward, vendor
 * webhooks, metrics sinks; the database sinks with `database`) while simulated agents accept
 * offers and report outcomes. With a rate, each lead has a scheduled arrival and counts as
 * received then, so latency includes any queueing behind the source. Afterwards `bench engine`
 * runs on the same transport as the baseline.
 */
export async function benchPipeline(options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const runId = `bench-pipeline-${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-pipeline-'));
  const config = loadConfig({
    // A run's own key unless the environment gives one: its topics are its own.
    LEADFLOW_PRIVACY_KEY: randomBytes(32).toString('base64'),
    ...options.env,
    LEADFLOW_DATA_DIR: dir,
    LEADFLOW_APP_ID: runId,
    LEADFLOW_TRANSPORT: options.transport,
  });
  if (options.spread && options.transport !== 'kafka') {
    throw new Error('--spread runs the stages as worker processes on Kafka; use --transport kafka');
  }
  if (options.spread && options.database && !options.env.DATABASE_URL) {
    throw new Error('--spread with --database needs DATABASE_URL: PGlite belongs to one process');
  }
  const transport = benchTransport({
    transport: options.transport,
    runId,
    dir,
    brokers: config.KAFKA_BROKERS,
    log: options.log,
  });
  const schema = runId.replace(/-/g, '_');
  let database: Database | undefined;
  try {
    if (options.database) database = await openDatabase({ ...config, schema });
    const run = await runLeads(options, config, transport, database, { dir, schema });
    const engine =
      options.engineRecords > 0
        ? await benchEngine({
            transport: options.transport,
            records: options.engineRecords,
            brokers: config.KAFKA_BROKERS,
            baseline: options.transport === 'kafka',
            log: options.log,
          })
        : null;
    const { outcomes } = run;
    const seconds = (outcomes.lastFinishedAt - run.startedAt) / 1000;
    return {
      transport: options.transport,
      leads: options.leads,
      rate: options.rate ?? null,
      agents: options.agents,
      database: options.database,
      assigned: outcomes.assigned.size,
      rejected: outcomes.rejected.size,
      unroutable: outcomes.unroutable.size,
      manual_queue: outcomes.manualQueue.size,
      unfinished: outcomes.unfinished,
      seconds: round(seconds),
      leads_per_s: Math.round(options.leads / seconds),
      p50_ms: percentile(outcomes.latencies, 0.5),
      p95_ms: percentile(outcomes.latencies, 0.95),
      p99_ms: percentile(outcomes.latencies, 0.99),
      max_ms: percentile(outcomes.latencies, 1),
      warmup_s: options.warmupSeconds ?? 0,
      measured: outcomes.latencies.length,
      hops: run.hops,
      traffic: run.traffic,
      peak_rss_mb: { bench: Math.round(run.peakRss / 1024 / 1024), ...run.workerPeakRssMb },
      processes: Math.max(1, Object.keys(run.workerPeakRssMb).length),
      engine_records_per_s: engine?.records_per_s ?? null,
      engine_baseline_records_per_s: engine?.baseline_records_per_s ?? null,
    };
  } finally {
    await database?.close();
    if (database && config.DATABASE_URL) await dropSchema(config.DATABASE_URL, schema).catch(() => undefined);
    await disposeBenchTransport(transport, runId, dir);
  }
}

async function runLeads(
  options: PipelineBenchOptions,
  config: Config,
  transport: Transport,
  database: Database | undefined,
  where: { dir: string; schema: string },
) {
  const rss = new RssSampler();
  const registry = createRegistry(config, transport);
  const processors = topology(config, database ? { database } : {});
  const catalog = platformCatalog();
  const topics = catalog.withProcessors(config.LEADFLOW_APP_ID, processors).all();
  await transport.applyTopics(topics);
  const vault = await openKeyVault(config, transport, options.log);
  const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix, keys: vault });
  await codec.prepare([TOPIC.agents, TOPIC.leadsRaw, TOPIC.agentResponses]);
  // Agents first: match reads them as a global table.
  await transport.produce(
    anywhereAgents(options.agents).map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)),
  );
  const stages = options.spread
    ? await startWorkers(options, config, processors, where)
    : await startInProcess(config, transport, registry, catalog, processors, vault, options.log);
  const outcomes = new Outcomes(options.leads);
  const agents = simulateAgents({ transport, codec, onEvent: (event) => outcomes.assignment(event) });
  const rejections = transport.follow(TOPIC.leadsRejected, async (records) => {
    for (const record of records) outcomes.rejection((await codec.decode<RejectedLead>(record)).value);
  });
  try {
    const bodies = generateLeads({ count: options.leads, seed: 'bench-pipeline' }).leads;
    await stages.ready();
    const startedAt = Date.now();
    outcomes.measuredFrom = startedAt + (options.warmupSeconds ?? 0) * 1000;
    await sendLeads(new RawLeadWriter(transport, codec, vault), bodies, startedAt, options.rate);
    await outcomes.all(options.stallMs ?? 60_000);
    const finished = { outcomes, startedAt, peakRss: rss.stop(), workerPeakRssMb: stages.peakRssMb() };
    const hops = options.hops ? await leadHops(transport, codec, outcomes.measuredFrom) : null;
    const traffic = await trafficPerLead(
      transport,
      topics.map((t) => t.name),
      processors,
      config.LEADFLOW_APP_ID,
      options.leads,
    );
    return { ...finished, hops, traffic };
  } finally {
    await agents.stop();
    await rejections.stop();
    await stages.stop();
  }
}

interface RunningStages {
  /** Resolves once every stage has its partitions and has caught up. */
  ready(): Promise<void>;
  peakRssMb(): Record<string, number>;
  stop(): Promise<void>;
}

async function startInProcess(
  config: Config,
  transport: Transport,
  registry: SchemaRegistry,
  catalog: Catalog,
  processors: Processor<never>[],
  vault: KeyVault,
  log: Logger,
): Promise<RunningStages> {
  const pipeline = await Pipeline.start({
    appId: config.LEADFLOW_APP_ID,
    transport,
    registry,
    catalog,
    processors,
    log,
    keys: vault,
    run: { commit: commitPolicy(config) },
  });
  return { ready: () => pipeline.waitIdle(120_000), peakRssMb: () => ({}), stop: () => pipeline.stop() };
}

/** The stages as worker processes of this CLI, configured like the bench's own transport. */
async function startWorkers(
  options: PipelineBenchOptions,
  config: Config,
  processors: Processor<never>[],
  where: { dir: string; schema: string },
): Promise<RunningStages> {
  const running = new Set(processors.map((p) => p.name));
  const groups = Object.fromEntries(
    Object.entries(WORKER_GROUPS)
      .map(([name, members]) => [name, members.filter((m) => running.has(m))] as const)
      .filter(([, members]) => members.length > 0),
  );
  const names = new TopicNames(`${config.LEADFLOW_APP_ID}.`);
  const env: Record<string, string> = {
    LEADFLOW_TRANSPORT: 'kafka',
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: names.prefix,
    LEADFLOW_APP_ID: config.LEADFLOW_APP_ID,
    LEADFLOW_DATA_DIR: where.dir,
    LEADFLOW_DATABASE_SCHEMA: where.schema,
    LEADFLOW_JWT_SECRET: randomBytes(32).toString('hex'),
    LEADFLOW_PRIVACY_KEY: config.LEADFLOW_PRIVACY_KEY!,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // From the bench's own configuration, not this process's environment (empty means unset), so
    // the workers share the bench's schema registry and see a database only with --database.
    SCHEMA_REGISTRY_URL: config.SCHEMA_REGISTRY_URL ?? '',
    DATABASE_URL: options.database ? (config.DATABASE_URL ?? '') : '',
    NEO4J_URL: options.database ? (config.NEO4J_URL ?? '') : '',
    LEADFLOW_COMMIT_LINGER_MS: String(config.LEADFLOW_COMMIT_LINGER_MS ?? ''),
    LEADFLOW_COMMIT_INTERVAL_MS: String(config.LEADFLOW_COMMIT_INTERVAL_MS ?? ''),
  };
  const fleet = new WorkerFleet(groups, env, where.dir);
  fleet.startAll();
  const peaks: Record<string, number> = {};
  const sample = setInterval(() => Object.assign(peaks, fleet.peakRssMb()), 1000);
  return {
    ready: async () => {
      const consumerGroups = [...running].map((name) => names.group(groupId(config.LEADFLOW_APP_ID, name)));
      await waitForMembers(config, consumerGroups, 120_000);
      const died = fleet.exitedUnexpectedly();
      if (died.length > 0) throw new Error(`worker(s) ${died.join(', ')} exited:\n${fleet.tail(died[0]!)}`);
    },
    peakRssMb: () => Object.assign(peaks, fleet.peakRssMb()),
    stop: async () => {
      clearInterval(sample);
      await fleet.stopAll();
    },
  };
}

/** Waits until every consumer group (as named on the cluster) has a stable membership. */
async function waitForMembers(config: Config, groups: string[], timeoutMs: number): Promise<void> {
  const kafka = createKafka(config.KAFKA_BROKERS, 'leadflow-bench', createLogger('silent'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const described = await admin.describeGroups(groups);
      const waiting = described.groups.filter((g) => g.state !== 'Stable' || g.members.length === 0);
      if (waiting.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `workers not ready after ${timeoutMs} ms: ${waiting.map((g) => g.groupId).join(', ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

const CHUNK = 500;

/**
 * Writes leads to leads.raw: with a rate, lead i is due at startedAt + i / rate and counts as
 * received then (open loop: a late write does not move the schedule); without one, in chunks as
 * fast as the log takes them.
 */
async function sendLeads(
  writer: RawLeadWriter,
  bodies: readonly LeadBody[],
  startedAt: number,
  rate?: number,
) {
  for (let i = 0; i < bodies.length;) {
    const now = Date.now();
    const dueAt = (n: number) => (rate ? startedAt + Math.floor((n * 1000) / rate) : now);
    if (dueAt(i) > now) {
      await new Promise((resolve) => setTimeout(resolve, dueAt(i) - now));
      continue;
    }
    const chunk = [];
    for (; i < bodies.length && chunk.length < CHUNK && dueAt(i) <= now; i++) {
      const body = bodies[i]!;
      chunk.push(
        toRawLead(body, { vendorId: body.source?.vendorId ?? 'bench', channel: 'api', receivedAt: dueAt(i) }),
      );
    }
    await writer.write(chunk);
  }
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
