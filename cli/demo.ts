import { randomBytes } from 'node:crypto';
import { sellByPingPost } from '../bench/ping-post-vendor';
import { MemoryCapCounters } from '../ingress/caps/counters';
import { bidKey } from '../ingress/ping-post/bid-token';
import { PingPostDesk } from '../ingress/ping-post/desk';
import { loadEconomicsConfig } from '../processors/ledger/economics';
import type { RawLead } from '../schemas/lead';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { generateLeads } from '../tools/generator/generate';
import { toRawLead } from '../schemas/raw-lead';
import { demoAgents } from './demo-agents';
import { demoActivity } from '../tools/demo-activity';
import { topology } from '../app/topology';
import { RecordCodec } from '../runtime/codec';
import { Pipeline } from '../runtime/pipeline';
import type { Transport } from '../runtime/transport';
import { EmbeddedTransport } from '../runtime/transports/embedded';
import { BuiltInSchemaRegistry, type SchemaRegistry } from '../runtime/registry';
import { type Funnel, readFunnel } from '../sinks/funnel';
import { demoGraphFigures, type Graph, openGraph } from '../sinks/neo4j';
import { type Database, dropSchema, openDatabase } from '../sinks/postgres/database';
import { LEAD_EVENT_TOPICS } from '../sinks/postgres/lead-events';
import { totals } from '../sinks/postgres/read-models';
import { figureRows, type RewardFigures, rewardFigures } from '../sinks/postgres/rewards-figures';
import { platformCatalog, TOPIC } from '../topics/platform';
import { positiveInt, share } from './options';
import { openKeyVault } from '../app/privacy/key-vault';
import { RawLeadWriter } from '../ingress/lead-writer';
import { action, openContext } from './context';
import { simulateAgents, type SimulatedAgents } from '../bench/agents';
import { DEMO_ECONOMICS_YAML } from '../tools/demo-economics';
import { type LedgerEntry, marginEffectCents } from '../schemas/ledger-records';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'generate leads, run every stage and the Postgres sink on a fresh embedded log, print the funnel',
    )
    .option('--leads <n>', 'leads to generate', (v) => positiveInt(v, '--leads'), 1000)
    .option('--seed <s>', 'generator seed', 'demo')
    .option(
      '--bad-share <f>',
      'share of deliberately bad records (0..1)',
      (v) => share(v, '--bad-share'),
      0.12,
    )
    .option('--json', 'print one JSON object')
    .action(
      action(async (options: DemoOptions & { json?: boolean }) => {
        const { config, log } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-demo-'));
        const transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
        try {
          const registry = new BuiltInSchemaRegistry(transport.schemaLog());
          const summary = await runDemo(options, { config, log, transport, registry, dir });
          if (options.json) {
            process.stdout.write(`${JSON.stringify(summary)}\n`);
          } else {
            printFunnel(summary);
          }
          if (!summary.funnel_identity_holds)
            throw new Error('funnel identity raw = valid + rejected does not hold');
          if (!summary.db_matches_topics)
            throw new Error('the database does not hold exactly the leads and events on the topics');
        } finally {
          await transport.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
    );
}

export interface DemoOptions {
  leads: number;
  seed: string;
  badShare: number;
}

export interface DemoContext {
  config: Config;
  log: Logger;
  /** A fresh log; the caller closes it, so a test can read what the run left on the topics. */
  transport: Transport;
  registry: SchemaRegistry;
  /** Where PGlite keeps the demo's database. */
  dir: string;
}

/**
 * The demo's run: generates the leads, sends them with partners, agents and activity through
 * every stage, waits until the pipeline is idle and says what the topics and the database hold.
 */
export async function runDemo(options: DemoOptions, context: DemoContext): Promise<DemoSummary> {
  const { config, log, transport, registry, dir } = context;
  let database: Database | undefined;
  let graph: Graph | undefined;
  const vault = await openKeyVault(config, transport, log);
  try {
    const started = Date.now();
    database = await openDemoDatabase(config.DATABASE_URL, dir);
    graph = await openGraph(config);
    const economicsFile = config.LEADFLOW_ECONOMICS_CONFIG ?? demoPricingFile(dir);
    const pipeline = await Pipeline.start({
      appId: config.LEADFLOW_APP_ID,
      transport,
      registry,
      catalog: platformCatalog(),
      processors: topology({ ...config, LEADFLOW_ECONOMICS_CONFIG: economicsFile }, { database, graph }),
      log,
      keys: vault,
    });
    const codec = new RecordCodec(pipeline.catalog, registry, { keys: vault });
    await codec.prepare([
      TOPIC.leadsRaw,
      TOPIC.partners,
      TOPIC.agents,
      TOPIC.agentResponses,
      TOPIC.referrals,
      TOPIC.leadOutcomes,
      TOPIC.communityEvents,
    ]);
    const { leads } = generateLeads({
      count: options.leads,
      seed: options.seed,
      badShare: options.badShare,
    });
    const receivedAt = Date.now();
    const leadIds: string[] = [];
    // Partners and agents first: reward-leads looks each referral's partner up, match the agents.
    await transport.produce([
      ...demoActivity([], options.seed, receivedAt).partners.map((p) =>
        codec.encode(TOPIC.partners, p.partnerId, p),
      ),
      ...demoAgents(receivedAt).map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)),
    ]);
    // Agents answer their offers as they would in the app: most accept, and report how it ended.
    const agents = simulateAgents({ transport, codec });
    const writer = new RawLeadWriter(transport, codec, vault);
    // Every tenth lead is offered to the buyers by ping-post first, and sold to them if they bid.
    const desk = new PingPostDesk(
      loadEconomicsConfig(economicsFile),
      new MemoryCapCounters(),
      bidKey(randomBytes(32).toString('hex')),
    );
    for (let i = 0; i < leads.length; i += 1000) {
      const chunk: RawLead[] = [];
      for (const [j, body] of leads.slice(i, i + 1000).entries()) {
        const vendorId = body.source?.vendorId ?? 'demo';
        const sale = (i + j) % 10 === 0 ? await sellByPingPost(desk, vendorId, body) : undefined;
        chunk.push(toRawLead(body, { vendorId, channel: sale ? 'ping-post' : 'demo', receivedAt, sale }));
      }
      leadIds.push(...chunk.map((raw) => raw.leadId));
      await writer.write(chunk);
    }
    const activity = demoActivity(leadIds, options.seed, receivedAt);
    await transport.produce([
      ...activity.referrals.map((r) => codec.encode(TOPIC.referrals, r.leadId, r)),
      ...activity.outcomes.map((o) => codec.encode(TOPIC.leadOutcomes, o.leadId, o)),
      ...activity.community.map(({ key, event }) => codec.encode(TOPIC.communityEvents, key, event)),
    ]);
    await settle(pipeline, agents);
    await agents.stop();
    const funnel = await readFunnel(transport, codec);
    const graphFigures = graph ? await demoGraphFigures(graph, { transport, registry, log, leadIds }) : null;
    await pipeline.stop();
    const stored = await storedAgainstTopics(database, funnel, await leadEventsOnTopics(transport));
    return {
      ...funnel,
      funnel_identity_holds: funnel.raw === funnel.valid + funnel.rejected,
      ...stored,
      rewards: await rewardFigures(database),
      economics: await economicsByVendor(transport, codec),
      graph: graphFigures,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await database?.close();
    await graph?.close();
    await vault.stop();
  }
}

/** The demo's economics file (tools/demo-economics.ts), as the file the pipeline reads. */
function demoPricingFile(dir: string): string {
  const file = path.join(dir, 'economics.yaml');
  fs.writeFileSync(file, DEMO_ECONOMICS_YAML);
  return file;
}

/** Idle means the pipeline has taken everything in and the agents have nothing left to answer. */
async function settle(pipeline: Pipeline, agents: SimulatedAgents): Promise<void> {
  for (let answers = -1; answers !== agents.counts.answers;) {
    answers = agents.counts.answers;
    await pipeline.waitIdle(600_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export interface VendorEconomics {
  vendor: string;
  /** Leads the vendor is paid for. */
  leads: number;
  /** Leads an agent took and is charged for. */
  taken: number;
  /** Leads sold by ping-post, charged to their buyers. */
  sold_to_buyers: number;
  cost_usd: number;
  revenue_usd: number;
  margin_usd: number;
}

/** Cost, revenue and margin per vendor, summed from the ledger topic; the biggest margin first. */
async function economicsByVendor(transport: Transport, codec: RecordCodec): Promise<VendorEconomics[]> {
  const byVendor = new Map<
    string,
    { leads: number; taken: number; bought: Set<string>; cost: number; revenue: number; margin: number }
  >();
  for (const record of await transport.read(TOPIC.ledger)) {
    const entry = (await codec.decode<LedgerEntry>(record)).value;
    const vendor = byVendor.get(entry.vendorId) ?? {
      leads: 0,
      taken: 0,
      bought: new Set<string>(),
      cost: 0,
      revenue: 0,
      margin: 0,
    };
    if (entry.kind === 'cost') vendor.leads += 1;
    if (entry.kind === 'revenue' && entry.party === 'agent') vendor.taken += 1;
    // A shared lead has a revenue entry per buyer: it counts once.
    if (entry.kind === 'revenue' && entry.party === 'buyer') vendor.bought.add(entry.leadId);
    if (entry.kind === 'cost' || entry.kind === 'chargeback') vendor.cost -= marginEffectCents(entry);
    else vendor.revenue += marginEffectCents(entry);
    vendor.margin += marginEffectCents(entry);
    byVendor.set(entry.vendorId, vendor);
  }
  const usd = (cents: number) => cents / 100;
  return [...byVendor]
    .map(([vendor, v]) => ({
      vendor,
      leads: v.leads,
      taken: v.taken,
      sold_to_buyers: v.bought.size,
      cost_usd: usd(v.cost),
      revenue_usd: usd(v.revenue),
      margin_usd: usd(v.margin),
    }))
    .sort((a, b) => b.margin_usd - a.margin_usd || a.vendor.localeCompare(b.vendor));
}

/**
 * The demo's own database: PGlite in its temporary directory, or with DATABASE_URL the schema
 * leadflow_demo, emptied first because a fresh log numbers its offsets (the event ids) from 0 again.
 */
async function openDemoDatabase(databaseUrl: string | undefined, dir: string): Promise<Database> {
  if (!databaseUrl) return openDatabase({ dataDir: dir });
  await dropSchema(databaseUrl, DEMO_SCHEMA);
  return openDatabase({ DATABASE_URL: databaseUrl, dataDir: dir, schema: DEMO_SCHEMA });
}

const DEMO_SCHEMA = 'leadflow_demo';

/** Records on the topics the lead sink reads: each must be one row of lead_events. */
async function leadEventsOnTopics(transport: Transport): Promise<number> {
  let events = 0;
  for (const topic of LEAD_EVENT_TOPICS) events += (await transport.read(topic)).length;
  return events;
}

/** What the sink stored, and whether it is every lead and every lead event on the topics. */
async function storedAgainstTopics(database: Database, funnel: Funnel, topicEvents: number) {
  const stored = await totals(database);
  // Leads past enrichment: enriched, or any later stage they have reached since.
  const pastEnrichment = Object.entries(stored.leadsByStage)
    .filter(([stage]) => !['received', 'valid', 'rejected'].includes(stage))
    .reduce((sum, [, leads]) => sum + leads, 0);
  const counts = {
    db: database.kind === 'postgres' ? `postgres (schema ${database.schema})` : 'pglite',
    db_leads: stored.leads,
    db_events: stored.events,
    db_leads_by_stage: stored.leadsByStage,
    db_rejected: stored.leadsByStage.rejected ?? 0,
  };
  return {
    ...counts,
    db_matches_topics:
      counts.db_leads === funnel.raw &&
      counts.db_events === topicEvents &&
      pastEnrichment === funnel.enriched &&
      counts.db_rejected === funnel.rejected,
  };
}

export type DemoSummary = Funnel &
  Awaited<ReturnType<typeof storedAgainstTopics>> & {
    funnel_identity_holds: boolean;
    seconds: number;
    rewards: RewardFigures;
    economics: VendorEconomics[];
    graph: Awaited<ReturnType<typeof demoGraphFigures>> | null;
  };

function printFunnel(f: DemoSummary) {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`raw        ${f.raw}`);
  out(`valid      ${f.valid}   (${pct(f.valid, f.raw)})`);
  out(`rejected   ${f.rejected}   (${pct(f.rejected, f.raw)})`);
  out(`enriched   ${f.enriched}`);
  out(`raw = valid + rejected: ${f.funnel_identity_holds ? 'yes' : 'NO'}`);
  out(
    `database (${f.db}): ${f.db_leads} leads, ${f.db_events} events; matches the topics: ${f.db_matches_topics ? 'yes' : 'NO'}`,
  );
  out(
    `leads by current stage: ${Object.entries(f.db_leads_by_stage)
      .map(([stage, leads]) => `${stage} ${leads}`)
      .join(', ')}`,
  );
  out();
  out('rejections by reason (a lead counts under each of its reasons):');
  for (const [code, n] of Object.entries(f.rejected_by_reason)) out(`  ${code.padEnd(28)} ${n}`);
  out();
  out(`dead letters: ${f.dead_letters}; took ${f.seconds.toFixed(1)} s`);
  out();
  out('rewards program (referrals, commissions, points, tiers):');
  for (const { figure, value } of figureRows(f.rewards)) out(`  ${figure.padEnd(32)} ${value}`);
  out();
  out('lead economics per vendor (paid to the vendor, charged to agents and ping-post buyers, USD):');
  out('  (leads: paid for; taken: by agents; bought: sold by ping-post to buyers)');
  out(
    `  ${'vendor'.padEnd(20)} ${'leads'.padStart(6)} ${'taken'.padStart(6)} ${'bought'.padStart(6)} ${'cost'.padStart(11)} ${'revenue'.padStart(11)} ${'margin'.padStart(11)}`,
  );
  const money = (usd: number) => usd.toFixed(2).padStart(11);
  for (const v of f.economics) {
    out(
      `  ${v.vendor.padEnd(20)} ${String(v.leads).padStart(6)} ${String(v.taken).padStart(6)} ${String(v.sold_to_buyers).padStart(6)} ${money(v.cost_usd)} ${money(v.revenue_usd)} ${money(v.margin_usd)}`,
    );
  }
  if (f.graph) {
    out();
    out(
      `graph (Neo4j): ${f.graph.graph_leads} leads, ${f.graph.graph_same_household} same-household links, ${f.graph.graph_agent_features} agents with features`,
    );
  }
}

const pct = (part: number, whole: number) => `${whole === 0 ? 0 : ((part / whole) * 100).toFixed(1)}%`;
