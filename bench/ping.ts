import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { registry } from '../runtime/metrics';
import { withBenchApi } from './api-harness';
import { quantileMs, runOpenLoop } from './open-loop';

/** Seconds of pings before the measured run (connections opened, code warmed), not counted. */
const WARMUP_SECONDS = 2;

export interface PingBenchOptions {
  transport: 'embedded' | 'kafka';
  /** Cap counts and rate limits in Redis (REDIS_URL of `env`); otherwise in this process. */
  redis: boolean;
  /** Pings per second, evenly spaced (bench/open-loop.ts). */
  rate: number;
  /** Keep-alive connections the pings share. */
  connections: number;
  durationSeconds: number;
  env: Partial<Record<string, string>>;
  log: Logger;
}

export interface PingBenchResult {
  transport: string;
  /** Whether the buyers' cap counts (and the rate limiter) were in Redis. */
  redis: boolean;
  buyers: number;
  rate_target: number;
  connections: number;
  duration_s: number;
  pings: number;
  pings_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Answers other than 200, and pings that got no answer. */
  non_2xx: number;
  errors: number;
  /** Share of answered pings that got a bid (the rest: no buyer takes the lead). */
  bids: number;
  peak_rss_mb: Record<string, number>;
}

/**
 * `leadflow bench ping`: the API as `leadflow start` serves it, with a book of ~40 buyers in its
 * economics file, and an open-loop generator (a worker thread of this process) sending pings to
 * /v1/ping evenly spaced at the rate, each timed from when it was due. Each ping filters the whole book by line, state, ZIP and schedule, reads the
 * cap counts of the buyers that take it (MGET when in Redis) and signs a bid; nothing is written.
 */
export async function benchPing(options: PingBenchOptions): Promise<PingBenchResult> {
  const { transport, env, log, redis } = options;
  const book = buyerBook();
  const economics = stringify(
    {
      buyers: book.buyers,
      caps: { buyers: book.caps },
      pingPost: { vendorShare: 0.7, bidTtlSeconds: 60, maxSharedBuyers: 3 },
    },
    { aliasDuplicateObjects: false },
  );
  return withBenchApi({ name: 'ping', transport, env, log, redis, economics }, async (api) => {
    const before = await pingOutcomes();
    const run = await runOpenLoop({
      url: `${api.origin}/v1/ping`,
      headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
      bodies: pingBodies(300),
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      warmupSeconds: WARMUP_SECONDS,
      connections: options.connections,
    });
    const after = await pingOutcomes();
    const bid = after.bid - before.bid;
    const answered = bid + after.no_bid - before.no_bid;
    return {
      transport: options.transport,
      redis: api.redis,
      buyers: book.buyers.length,
      rate_target: options.rate,
      connections: options.connections,
      duration_s: options.durationSeconds,
      pings: run.latenciesMs.length,
      pings_per_s: Math.round(run.latenciesMs.length / (run.elapsedMs / 1000)),
      p50_ms: quantileMs(run.latenciesMs, 0.5),
      p99_ms: quantileMs(run.latenciesMs, 0.99),
      max_ms: quantileMs(run.latenciesMs, 1),
      non_2xx: run.non2xx,
      errors: run.errors,
      bids: answered === 0 ? 0 : Math.round((bid / answered) * 1000) / 1000,
      peak_rss_mb: { bench: api.peakRssMb() },
    };
  });
}

/** Pings answered so far in this process, by outcome (the desk's leadflow_pings_total). */
async function pingOutcomes(): Promise<{ bid: number; no_bid: number }> {
  const counts = { bid: 0, no_bid: 0 };
  const metric = await registry.getSingleMetric('leadflow_pings_total')?.get();
  for (const { labels, value } of metric?.values ?? []) {
    if (labels.outcome === 'bid' || labels.outcome === 'no_bid') counts[labels.outcome] += value;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// The buyer book and the pings

/** States the book covers, with ZIP prefixes of their cities, and the time zone of their buyers. */
const MARKETS: Record<string, { zips: string[]; timeZone: string }> = {
  TX: { zips: ['750', '752', '770', '773', '787', '782', '799'], timeZone: 'America/Chicago' },
  CA: { zips: ['900', '902', '913', '921', '941', '945', '958'], timeZone: 'America/Los_Angeles' },
  FL: { zips: ['331', '333', '336', '328', '322', '342'], timeZone: 'America/New_York' },
  NY: { zips: ['100', '104', '112', '142', '146'], timeZone: 'America/New_York' },
  IL: { zips: ['606', '605', '617', '627'], timeZone: 'America/Chicago' },
  PA: { zips: ['191', '190', '152', '171'], timeZone: 'America/New_York' },
  OH: { zips: ['432', '441', '452', '436'], timeZone: 'America/New_York' },
  GA: { zips: ['303', '300', '314'], timeZone: 'America/New_York' },
  NC: { zips: ['282', '276', '274'], timeZone: 'America/New_York' },
  AZ: { zips: ['850', '852', '857'], timeZone: 'America/Phoenix' },
  WA: { zips: ['981', '980', '992'], timeZone: 'America/Los_Angeles' },
  CO: { zips: ['802', '801', '809'], timeZone: 'America/Denver' },
  MI: { zips: ['482', '481', '495'], timeZone: 'America/Detroit' },
  NJ: { zips: ['070', '071', '085'], timeZone: 'America/New_York' },
};
/** States no buyer names: only the few buyers without a state filter bid on them. */
const UNCOVERED: Record<string, string[]> = { VT: ['054', '056'], AK: ['995', '997'], WY: ['820', '826'] };
const COVERED = Object.keys(MARKETS);

interface BuyerEntry {
  id: string;
  line?: string[];
  state?: string[];
  zipPrefix?: string[];
  exclusiveCents?: number;
  sharedCents?: number;
  schedule?: { timeZone: string; days: number[]; start: string; end: string };
}
type CapEntry = { daily?: number; weekly?: number; monthly?: number; timeZone?: string };

/**
 * About 40 buyers as a lead marketplace might have them: national carriers (licensed in the
 * covered states, a few anywhere), regional ones, a few commercial, and local agencies buying
 * their city's ZIPs. Most have a daily cap (pings take no places, so none is ever reached);
 * some weekly or monthly ones too. The agencies and a few regionals have a schedule: all week,
 * 00:00-23:59 local, so the bids do not depend on when the bench runs but the hours are checked.
 */
function buyerBook(): { buyers: BuyerEntry[]; caps: Record<string, CapEntry> } {
  const buyers: BuyerEntry[] = [];
  const caps: Record<string, CapEntry> = {};
  const always = (state: string) => ({
    timeZone: MARKETS[state]!.timeZone,
    days: [1, 2, 3, 4, 5, 6, 7],
    start: '00:00',
    end: '23:59',
  });
  const add = (buyer: BuyerEntry, cap?: CapEntry) => {
    buyers.push(buyer);
    if (cap) caps[buyer.id] = cap;
  };
  // National.
  add(
    { id: 'natl-auto-1', line: ['auto'], state: COVERED, exclusiveCents: 4500, sharedCents: 1800 },
    { daily: 5000 },
  );
  add({ id: 'natl-auto-2', line: ['auto'], sharedCents: 1600 });
  add(
    { id: 'natl-auto-3', line: ['auto'], state: COVERED, exclusiveCents: 4200 },
    { daily: 2500, weekly: 12000, timeZone: 'America/New_York' },
  );
  add(
    { id: 'natl-home-1', line: ['home', 'renters'], state: COVERED, exclusiveCents: 3800, sharedCents: 1400 },
    { daily: 2000 },
  );
  add(
    { id: 'natl-life-1', line: ['life'], state: COVERED, exclusiveCents: 5200, sharedCents: 2100 },
    { daily: 1500 },
  );
  add({ id: 'natl-life-2', line: ['life'], sharedCents: 1900 });
  add({ id: 'natl-health-1', line: ['health'], state: COVERED, exclusiveCents: 4800 }, { daily: 1500 });
  add(
    { id: 'natl-medicare-1', line: ['medicare'], state: COVERED, exclusiveCents: 6500, sharedCents: 2600 },
    { daily: 800, monthly: 20000, timeZone: 'America/New_York' },
  );
  add({ id: 'natl-renters-1', line: ['renters'], state: COVERED, sharedCents: 900 }, { daily: 3000 });
  // Regional.
  const regional: [string, string[], string[], number | undefined, number | undefined, string[]?][] = [
    ['tx-auto-1', ['auto'], ['TX'], 5000, 2000],
    ['tx-auto-2', ['auto'], ['TX'], undefined, 2200, ['750', '752']],
    ['tx-home-1', ['home'], ['TX'], 4000, undefined],
    ['tx-health-1', ['health'], ['TX'], 4600, 1700],
    ['ca-auto-1', ['auto'], ['CA'], 5300, 2100],
    ['ca-auto-2', ['auto'], ['CA'], undefined, 2300, ['900', '902', '913']],
    ['ca-home-1', ['home', 'renters'], ['CA'], 4400, 1500],
    ['ca-health-1', ['health'], ['CA'], 5100, undefined],
    ['fl-home-1', ['home'], ['FL'], 5500, 1900],
    ['fl-medicare-1', ['medicare'], ['FL'], 7000, 2800],
    ['fl-medicare-2', ['medicare'], ['FL'], undefined, 3000, ['331', '333']],
    ['fl-auto-1', ['auto'], ['FL'], 4700, 1900],
    ['ny-auto-1', ['auto'], ['NY'], 5600, 2200, ['100', '104', '112']],
    ['ny-life-1', ['life'], ['NY'], 5800, undefined],
    ['il-auto-1', ['auto'], ['IL'], 4300, 1700],
    ['il-home-1', ['home'], ['IL'], 3900, 1500],
    ['pa-oh-auto-1', ['auto'], ['PA', 'OH'], 4100, 1600],
    ['pa-oh-home-1', ['home', 'renters'], ['PA', 'OH'], undefined, 1300],
    ['se-auto-1', ['auto'], ['GA', 'NC', 'FL'], 4400, 1800],
    ['se-life-1', ['life', 'health'], ['GA', 'NC'], 4900, 2000],
    ['mtn-medicare-1', ['medicare'], ['AZ', 'CO'], 6800, 2500],
    ['az-auto-1', ['auto'], ['AZ'], 4200, undefined],
    ['wa-auto-1', ['auto'], ['WA'], 4800, 1900, ['980', '981']],
    ['mi-auto-1', ['auto'], ['MI'], 5400, 2000],
    ['nj-auto-1', ['auto'], ['NJ'], 5900, 2300, ['070', '071']],
    ['nj-home-1', ['home'], ['NJ'], 4100, undefined],
    ['commercial-sw', ['commercial'], ['TX', 'CA', 'AZ'], 9500, 3500],
    ['commercial-ne', ['commercial'], ['NY', 'NJ', 'PA'], 8000, undefined],
  ];
  regional.forEach(([id, line, state, exclusiveCents, sharedCents, zipPrefix], i) => {
    add(
      {
        id,
        line,
        state,
        ...(zipPrefix ? { zipPrefix } : {}),
        ...(exclusiveCents !== undefined ? { exclusiveCents } : {}),
        ...(sharedCents !== undefined ? { sharedCents } : {}),
        ...(i % 4 === 1 ? { schedule: always(state[0]!) } : {}),
      },
      // Every fifth regional buyer has no cap.
      i % 5 === 4 ? undefined : { daily: 400 + 100 * (i % 7), timeZone: MARKETS[state[0]!]!.timeZone },
    );
  });
  // Local agencies: their city's ZIPs only, shared.
  const agencies: [string, string[], string, string[], number][] = [
    ['dallas-agency', ['auto', 'home'], 'TX', ['752'], 1500],
    ['houston-agency', ['auto'], 'TX', ['770', '773'], 1400],
    ['chicago-agency', ['auto', 'renters'], 'IL', ['606'], 1300],
    ['miami-agency', ['home'], 'FL', ['331'], 1600],
  ];
  for (const [id, line, state, zipPrefix, sharedCents] of agencies) {
    add(
      { id, line, state: [state], zipPrefix, sharedCents, schedule: always(state) },
      { daily: 150, timeZone: MARKETS[state]!.timeZone },
    );
  }
  return { buyers, caps };
}

/** Line mix of the pings: auto most, commercial rarely. */
const LINES = [
  'auto',
  'auto',
  'auto',
  'auto',
  'home',
  'home',
  'renters',
  'life',
  'health',
  'medicare',
  'commercial',
];
const CAMPAIGNS = ['search-brand', 'search-generic', 'social', 'affiliate-12', 'display', null];

/**
 * `count` ping bodies, the same each run: lines in the LINES mix, ZIPs of the covered states'
 * cities and, one in ten, of states no buyer names (mostly no bid there).
 */
function pingBodies(count: number): string[] {
  const random = mulberry32(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: count }, () => {
    const uncovered = random() < 0.1;
    const state = pick(uncovered ? Object.keys(UNCOVERED) : COVERED);
    const zips = uncovered ? UNCOVERED[state]! : MARKETS[state]!.zips;
    const zip = `${pick(zips)}${String(Math.floor(random() * 100)).padStart(2, '0')}`;
    const campaign = pick(CAMPAIGNS);
    return JSON.stringify({ line: pick(LINES), state, zip, ...(campaign ? { campaign } : {}) });
  });
}

/** A small seeded PRNG, so every run pings the same bodies. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
