import type { AgentPerformance } from '../../schemas/routing-records';

/**
 * What the built-in dashboard charts, computed from the metrics registry's histograms and the
 * agent performance table: plain functions, so the numbers can be checked without a server.
 */

/** One sample of a prom-client metric, as `metric.get()` lists them. */
export interface MetricSample {
  metricName?: string;
  labels: Partial<Record<string, string | number>>;
  value: number;
}

export interface ScoreBucket {
  /** Scores in (from, to]; the first bucket starts at 0 inclusive. */
  from: number;
  to: number;
  leads: number;
}

/** Leads per score band, summed over lines, from the cumulative buckets of `leadflow_lead_score`. */
export function scoreDistribution(samples: readonly MetricSample[]): ScoreBucket[] {
  const cumulative = cumulativeBuckets(samples, () => 'all').get('all') ?? [];
  const bands: ScoreBucket[] = [];
  let from = 0;
  let below = 0;
  for (const [le, count] of cumulative) {
    if (!Number.isFinite(le)) continue;
    bands.push({ from, to: le, leads: count - below });
    from = le;
    below = count;
  }
  return bands;
}

export interface StageLatency {
  stage: string;
  leads: number;
  p50Seconds: number;
  p95Seconds: number;
}

/**
 * Median and 95th percentile per stage, interpolated within histogram buckets the way
 * Prometheus' histogram_quantile does, in flow order.
 */
export function latencyByStage(samples: readonly MetricSample[], order: readonly string[]): StageLatency[] {
  const byStage = cumulativeBuckets(samples, (labels) => String(labels.stage));
  return [...byStage]
    .map(([stage, buckets]) => ({
      stage,
      leads: buckets.at(-1)?.[1] ?? 0,
      p50Seconds: quantile(0.5, buckets),
      p95Seconds: quantile(0.95, buckets),
    }))
    .filter((s) => s.leads > 0)
    .sort((a, b) => rank(order, a.stage) - rank(order, b.stage));
}

const rank = (order: readonly string[], stage: string) =>
  order.includes(stage) ? order.indexOf(stage) : order.length;

/** Cumulative bucket counts (upper bound, count), ascending, per group of label values. */
function cumulativeBuckets(
  samples: readonly MetricSample[],
  groupOf: (labels: MetricSample['labels']) => string,
): Map<string, [number, number][]> {
  const groups = new Map<string, Map<number, number>>();
  for (const sample of samples) {
    if (!sample.metricName?.endsWith('_bucket') || sample.labels.le === undefined) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    const group = groupOf(sample.labels);
    const buckets = groups.get(group) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
    groups.set(group, buckets);
  }
  return new Map([...groups].map(([group, buckets]) => [group, [...buckets].sort((a, b) => a[0] - b[0])]));
}

/** The q-quantile of cumulative buckets; within the last finite bucket when it falls beyond it. */
export function quantile(q: number, buckets: readonly [number, number][]): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return 0;
  const target = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= target) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + ((le - lower) * (target - below)) / inBucket;
    }
    lower = le;
    below = count;
  }
  return lower;
}

export interface LeaderboardRow {
  agentId: string;
  routingGroup: string;
  offers: number;
  accepted: number;
  sold: number;
  acceptanceRate: number;
  conversionRate: number;
  meanResponseSeconds: number | null;
}

/** The agents with the most sales, then the most accepted leads, then the fastest answers. */
export function leaderboard(agents: Iterable<AgentPerformance>, size: number): LeaderboardRow[] {
  return [...agents]
    .filter((a) => a.offers > 0)
    .sort(
      (a, b) =>
        b.sold - a.sold ||
        b.accepted - a.accepted ||
        (a.meanResponseSeconds ?? Infinity) - (b.meanResponseSeconds ?? Infinity) ||
        a.agentId.localeCompare(b.agentId),
    )
    .slice(0, size)
    .map((a) => ({
      agentId: a.agentId,
      routingGroup: a.routingGroup,
      offers: a.offers,
      accepted: a.accepted,
      sold: a.sold,
      acceptanceRate: a.acceptanceRate,
      conversionRate: a.conversionRate,
      meanResponseSeconds: a.meanResponseSeconds,
    }));
}
