/**
 * Simulated lead arrivals: the lead generator's leads, each run through the real validate, enrich
 * and score functions and projected with the match stage's routableLead, arriving over the
 * simulated days with a daytime peak. Some speak Spanish and some come through referral
 * partners (extra fields, as vendors send them).
 */
import { generateLeads } from '../generator/generate';
import { createRng } from '../../models/prng';
import { toRawLead } from '../../schemas/raw-lead';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import { enrichLead } from '../../processors/enrich/enrich';
import type { RoutableLead } from '../../schemas/routing-records';
import { routableLead } from '../../processors/match/routable-lead';
import { scoreLead } from '../../processors/score/score';
import { DEFAULT_CONSENT_MAX_AGE_DAYS, validateLead } from '../../processors/validate/rules';

export interface SimulatedLead {
  lead: RoutableLead;
  arrivesAt: number;
  /** The generator's hidden chance that the lead converts. */
  propensity: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Relative arrivals per UTC hour: US daytime (13:00-03:00 UTC) is busiest. */
const HOURLY = [6, 5, 4, 2, 1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 10, 10, 10, 9, 9, 8, 7];
/** Relative arrivals per weekday (0 = Sunday): weekends bring about a third of a weekday's leads. */
const DAILY = [3, 10, 10, 10, 10, 9, 4];
const SPANISH_HEAVY = new Set(['CA', 'TX', 'FL', 'NM', 'AZ', 'NV', 'NY', 'NJ', 'IL']);

export function simulatedLeads(options: {
  count: number;
  seed: string;
  start: number;
  days: number;
  partners: readonly string[];
}): SimulatedLead[] {
  const rng = createRng(`routing-sim-leads/${options.seed}`);
  const days = Array.from({ length: options.days }, (_, d) => d);
  const dayWeights = days.map((d) => DAILY[new Date(options.start + d * DAY_MS).getUTCDay()]!);
  const arrivals = Array.from({ length: options.count }, () => {
    const day = rng.weighted(days, dayWeights);
    const hour = rng.weighted(
      HOURLY.map((_, h) => h),
      HOURLY,
    );
    return options.start + day * DAY_MS + hour * HOUR_MS + Math.floor(rng.next() * HOUR_MS);
  }).sort((a, b) => a - b);
  const scorer = new Scorer(loadDefaultModel());
  // Clean leads only (bad records never reach routing); a few spare in case one still fails.
  const { leads, outcomes } = generateLeads({
    count: Math.ceil(options.count * 1.05) + 10,
    seed: options.seed,
    badShare: 0,
    now: options.start,
  });
  const result: SimulatedLead[] = [];
  for (let i = 0; i < leads.length && result.length < options.count; i++) {
    const body = leads[i]!;
    const arrivesAt = arrivals[result.length]!;
    if (rng.bool(SPANISH_HEAVY.has(String(body.contact.state).toUpperCase()) ? 0.18 : 0.04))
      body.language = 'es';
    if (rng.bool(0.08)) body.partnerId = rng.pick(options.partners);
    const raw = toRawLead(body, {
      vendorId: body.source.vendorId,
      channel: 'simulation',
      receivedAt: arrivesAt,
      leadId: `sim-${i + 1}`,
    });
    const validated = validateLead(raw, {
      now: options.start,
      consentMaxAgeDays: DEFAULT_CONSENT_MAX_AGE_DAYS,
    });
    if (validated.status !== 'valid') continue;
    const scored = scoreLead(enrichLead(validated.lead, arrivesAt), scorer, arrivesAt);
    result.push({ lead: routableLead(scored), arrivesAt, propensity: outcomes[i]!.propensity });
  }
  return result;
}
