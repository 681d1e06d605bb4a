import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AgentPerformance } from '../../schemas/routing-records';
import { RecordCodec } from '../../runtime/codec';
import { GlobalTable } from '../../runtime/global-table';
import type { ReadOnlyTable } from '../../runtime/store';
import { registry as metricsRegistry } from '../../runtime/metrics';
import type { Transport } from '../../runtime/transport';
import type { SchemaRegistry } from '../../runtime/registry';
import type { FunnelRow } from '../../sinks/postgres/analytics';
import type { Queryable } from '../../sinks/postgres/database';
import { conversionBy, funnel } from '../../sinks/postgres/read-models';
import { scorecard, type ScorecardRow } from '../../sinks/postgres/scorecard';
import { platformCatalog, TOPIC } from '../../topics/platform';
import {
  latencyByStage,
  leaderboard,
  type LeaderboardRow,
  type MetricSample,
  scoreDistribution,
  type ScoreBucket,
  type StageLatency,
} from './summaries';

/** Where the dashboard's numbers come from. */
export interface DashboardSource {
  /** Funnel and conversion (durable, every lead ever received); absent without a database. */
  readModels?: Queryable;
  /** Score distribution and stage latency, as the metrics sinks of this process counted them. */
  metrics: Registry;
  /** The leaderboard: acceptance, sales and response time per agent, as assign publishes them. */
  agentPerformance: ReadOnlyTable<AgentPerformance>;
}

export interface DashboardData {
  generatedAt: string;
  /** Null when this process has no read-model database. */
  funnel: FunnelRow[] | null;
  conversionBySource: Record<string, string | number>[] | null;
  conversionByLine: Record<string, string | number>[] | null;
  /** The vendor scorecard of the leads received in the last SCORECARD_DAYS days, busiest vendors first. */
  vendors: ScorecardRow[] | null;
  scores: ScoreBucket[];
  latency: StageLatency[];
  leaderboard: LeaderboardRow[];
}

const LATENCY_ORDER = [
  'valid',
  'enriched',
  'scored',
  'matched',
  'unroutable',
  'offered',
  'assigned',
  'rejected',
];
const LEADERBOARD_SIZE = 10;
// Enough for a readable chart or table; the report CLI has every vendor.
const TOP_SOURCES = 12;
// The panel refreshes every few seconds; all time would read every lead each time (about 5 s at
// 500,000 leads on the test machine), 30 days about 1 s. The report has any range.
const SCORECARD_DAYS = 30;
const DAY_MS = 24 * 3_600_000;

export async function dashboardData(source: DashboardSource): Promise<DashboardData> {
  const samples = async (name: string): Promise<MetricSample[]> =>
    (await source.metrics.getSingleMetric(name)?.get())?.values ?? [];
  const db = source.readModels;
  return {
    generatedAt: new Date().toISOString(),
    funnel: db ? await funnel(db) : null,
    conversionBySource: db ? (await conversionBy(db, 'vendor')).slice(0, TOP_SOURCES) : null,
    conversionByLine: db ? await conversionBy(db, 'line') : null,
    vendors: db
      ? (
          await scorecard(db, 'vendor', {
            from: new Date(Date.now() - (SCORECARD_DAYS - 1) * DAY_MS).toISOString().slice(0, 10),
          })
        ).slice(0, TOP_SOURCES)
      : null,
    scores: scoreDistribution(await samples('leadflow_lead_score')),
    latency: latencyByStage(await samples('leadflow_end_to_end_latency_seconds'), LATENCY_ORDER),
    leaderboard: leaderboard(
      [...source.agentPerformance.entries()].map(([, agent]) => agent),
      LEADERBOARD_SIZE,
    ),
  };
}

/** Opens the dashboard's sources: the agent performance table, followed until `close`. */
export async function openDashboardSource(setup: {
  transport: Transport;
  registry: SchemaRegistry;
  log: Logger;
  readModels?: Queryable;
}): Promise<{ source: DashboardSource; close(): Promise<void> }> {
  const codec = new RecordCodec(platformCatalog(), setup.registry, {
    subjectPrefix: setup.transport.topicPrefix,
  });
  await codec.prepare([TOPIC.agentPerformance]);
  const agentPerformance = await new GlobalTable<AgentPerformance>(
    TOPIC.agentPerformance,
    setup.transport,
    codec,
    setup.log,
  ).start();
  return {
    source: { readModels: setup.readModels, metrics: metricsRegistry, agentPerformance },
    close: () => agentPerformance.stop(),
  };
}
