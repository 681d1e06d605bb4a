/**
 * Realistic simulated agents: routing groups by region and line family, home states weighted by
 * population, licences in nearby states, capacities, shifts in their own time zones, languages,
 * VIP tiers; and hidden behaviour (how often they accept, how fast they answer, how well they
 * sell) that only the simulation knows.
 */
import { createRng, type Rng } from '../../models/prng';
import type { InsuranceLine } from '../../schemas/lead';
import { zipDb, type ZipRecord } from '../../processors/enrich/zipdb';
import type { Agent, AgentFeatures, VipTier } from '../../schemas/routing-records';

export interface AgentBehaviour {
  /** Chance of accepting an offer it answers (better leads are accepted a little more often). */
  acceptProbability: number;
  /** Chance of never answering an offer (it lapses). */
  ignoreProbability: number;
  /** Median seconds to answer. */
  medianResponseSeconds: number;
  /** Multiplies a lead's chance of selling. */
  skill: number;
}

export interface SimulatedAgents {
  agents: Agent[];
  behaviour: Map<string, AgentBehaviour>;
  features: Map<string, AgentFeatures>;
  /** Referral partners the leads may come from (each tied to a few agents). */
  partners: string[];
}

const REGIONS: Record<string, string[]> = {
  west: ['CA', 'OR', 'WA', 'NV', 'AZ', 'UT', 'ID', 'MT', 'WY', 'CO', 'NM', 'AK', 'HI'],
  central: ['TX', 'OK', 'KS', 'NE', 'SD', 'ND', 'MN', 'IA', 'MO', 'AR', 'LA', 'WI', 'IL'],
  east: [
    'NY',
    'NJ',
    'PA',
    'CT',
    'MA',
    'RI',
    'VT',
    'NH',
    'ME',
    'DE',
    'MD',
    'DC',
    'VA',
    'WV',
    'OH',
    'MI',
    'IN',
  ],
  south: ['FL', 'GA', 'AL', 'MS', 'TN', 'KY', 'SC', 'NC'],
};

interface GroupPlan {
  group: string;
  /** Share of all agents. */
  share: number;
  /** Regions its agents live and are licensed in. */
  regions: string[];
  lines: [InsuranceLine, number][];
  /** Extra licensed states besides home: [min, max]. */
  extraStates: [number, number];
}

const PROPERTY_CASUALTY: [InsuranceLine, number][] = [
  ['auto', 0.9],
  ['home', 0.65],
  ['renters', 0.45],
];

const GROUPS: GroupPlan[] = [
  ...Object.keys(REGIONS).map((region) => ({
    group: `pc-${region}`,
    share: 0.16,
    regions: [region],
    lines: PROPERTY_CASUALTY,
    extraStates: [1, 6] as [number, number],
  })),
  {
    group: 'life-health',
    share: 0.26,
    regions: Object.keys(REGIONS),
    lines: [
      ['life', 0.75],
      ['health', 0.6],
      ['medicare', 0.55],
    ],
    extraStates: [4, 14],
  },
  {
    group: 'commercial',
    share: 0.1,
    regions: Object.keys(REGIONS),
    lines: [
      ['commercial', 1],
      ['auto', 0.3],
      ['home', 0.15],
    ],
    extraStates: [6, 20],
  },
];

const VIP: [VipTier | null, number][] = [
  [null, 50],
  ['silver', 25],
  ['gold', 15],
  ['platinum', 7],
  ['diamond', 3],
];

const SPANISH_HEAVY = new Set(['CA', 'TX', 'FL', 'NM', 'AZ', 'NV', 'NY', 'NJ', 'IL']);

function zipsByState(): Map<string, { records: ZipRecord[]; population: number }> {
  const byState = new Map<string, { records: ZipRecord[]; population: number }>();
  for (const record of zipDb().all()) {
    if (record.precision !== 'zip' || !record.timeZone || !(record.population && record.population > 0))
      continue;
    const entry = byState.get(record.state) ?? { records: [], population: 0 };
    entry.records.push(record);
    entry.population += record.population;
    byState.set(record.state, entry);
  }
  return byState;
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
const logNormal = (rng: Rng, median: number, sigma: number) => median * Math.exp(sigma * rng.normal());

function pickZip(rng: Rng, entry: { records: ZipRecord[]; population: number }): ZipRecord {
  let r = rng.next() * entry.population;
  for (const record of entry.records) {
    r -= record.population!;
    if (r < 0) return record;
  }
  return entry.records[entry.records.length - 1]!;
}

export function simulatedAgents(count: number, seed: string): SimulatedAgents {
  const rng = createRng(`routing-sim-agents/${seed}`);
  const zips = zipsByState();
  const partners = Array.from({ length: Math.max(3, Math.round(count / 25)) }, (_, i) => `partner-${i + 1}`);
  const agents: Agent[] = [];
  const behaviour = new Map<string, AgentBehaviour>();
  const features = new Map<string, AgentFeatures>();

  const planned = GROUPS.flatMap((plan) =>
    Array.from({ length: Math.max(2, Math.round(count * plan.share)) }, () => plan),
  ).slice(0, Math.max(count, GROUPS.length * 2));
  planned.forEach((plan, index) => {
    const agentId = `agent-${String(index + 1).padStart(4, '0')}`;
    const states = plan.regions.flatMap((region) => REGIONS[region]!).filter((s) => zips.has(s));
    const home = rng.weighted(
      states,
      states.map((s) => zips.get(s)!.population),
    );
    const zip = pickZip(rng, zips.get(home)!);
    const firstOfGroup = planned.indexOf(plan) === index;
    const extra = firstOfGroup ? states.length : rng.int(plan.extraStates[0], plan.extraStates[1]);
    const licensedStates = [
      home,
      ...shuffle(
        rng,
        states.filter((s) => s !== home),
      ).slice(0, extra),
    ].sort();
    let lines = plan.lines.filter(([, p]) => rng.bool(p)).map(([line]) => line);
    if (lines.length === 0) lines = [plan.lines[0]![0]];
    const languages = ['en'];
    if (rng.bool(SPANISH_HEAVY.has(home) ? 0.3 : 0.08)) languages.push('es');
    if (rng.bool(0.03)) languages.push(rng.pick(['zh', 'vi', 'ko', 'tl']));
    const daily = Math.round(clamp(logNormal(rng, 22, 0.35), 8, 60));
    const evening = rng.bool(0.12);
    const startHour = evening ? 12 : rng.pick([7, 8, 8, 9, 9, 10]);
    const shiftHours = rng.pick([8, 8, 9, 10]);
    const days = rng.bool(0.25)
      ? [1, 2, 3, 4, 5, 6]
      : rng.bool(0.05)
        ? [1, 2, 3, 4, 5, 6, 7]
        : [1, 2, 3, 4, 5];
    agents.push({
      agentId,
      name: `Agent ${index + 1}`,
      email: `${agentId}@agents.example`,
      phone: null,
      webhookUrl: null,
      notify: ['email'],
      routingGroup: plan.group,
      team: `${plan.group}-team-${rng.int(1, 4)}`,
      groupLead: firstOfGroup,
      licences: Object.fromEntries(lines.map((line) => [line, licensedStates])),
      specialties: rng.bool(0.6) ? [rng.pick(lines)] : [],
      languages,
      location: { zip: zip.zip, latitude: zip.latitude, longitude: zip.longitude },
      capacity: { daily, concurrent: rng.int(2, 6) },
      workingHours: {
        timeZone: zip.timeZone!,
        days,
        start: `${String(startHour).padStart(2, '0')}:00`,
        end: `${String(startHour + shiftHours).padStart(2, '0')}:00`,
      },
      queueOutsideHours: rng.bool(0.65),
      status: firstOfGroup ? 'active' : rng.weighted(['active', 'paused', 'inactive'] as const, [95, 4, 1]),
      vipTier: rng.weighted(
        VIP.map(([tier]) => tier),
        VIP.map(([, weight]) => weight),
      ),
      weight: Math.max(1, Math.round(daily / 10)),
      updatedAt: 0,
      source: 'simulation',
    });
    behaviour.set(agentId, {
      acceptProbability: clamp(0.72 + 0.15 * rng.normal(), 0.35, 0.97),
      ignoreProbability: clamp(0.06 + 0.05 * rng.normal(), 0.01, 0.3),
      medianResponseSeconds: clamp(logNormal(rng, 70, 0.6), 10, 600),
      skill: clamp(1 + 0.3 * rng.normal(), 0.4, 1.8),
    });
    features.set(agentId, {
      agentId,
      referralPartners: rng.bool(0.15) ? [rng.pick(partners)] : [],
      teamStrength: clamp(0.5 + 0.2 * rng.normal(), 0, 1),
      similarLeadSuccess: Object.fromEntries(
        lines.map((line) => [line, clamp(0.5 + 0.2 * rng.normal(), 0, 1)]),
      ),
      computedAt: 0,
      source: 'simulation',
    });
  });
  return { agents, behaviour, features, partners };
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
