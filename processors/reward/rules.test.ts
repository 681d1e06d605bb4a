import { referralCommission, underMonthlyCap, volumeBonus, withinClawback } from './commission';
import {
  DEFAULT_PLAN,
  DEFAULT_REWARDS_CONFIG,
  parseRewardsConfig,
  planFor,
  RewardsConfigError,
} from './config';
import { periodEnd, periodOf } from './periods';
import { acceptancePoints, communityPoints, underDailyCap } from './points';
import type { CommunityEvent } from '../../schemas/reward-records';
import { periodClose, promotion, tierFor, withTierBenefits } from './tiers';
import { matchLead } from '../match/match';
import { parseRoutingConfig } from '../match/routing-config';
import { testAgent, testLead, WEDNESDAY_10AM_PACIFIC } from '../../tools/routing-fixtures';

const rules = DEFAULT_REWARDS_CONFIG.points;
const tiers = DEFAULT_REWARDS_CONFIG.tiers;

describe('commission', () => {
  test('flat plus a share of the first-year premium', () => {
    // 2500 + 5% of 120000 cents
    expect(referralCommission(DEFAULT_PLAN, 120_000)).toBe(8_500);
    expect(referralCommission(DEFAULT_PLAN, 0)).toBe(2_500);
  });

  test('capped per referral', () => {
    // 2500 + 5% of 2 000 000 = 102 500, capped at 50 000
    expect(referralCommission(DEFAULT_PLAN, 2_000_000)).toBe(50_000);
    expect(referralCommission({ ...DEFAULT_PLAN, maxPerReferralCents: null }, 2_000_000)).toBe(102_500);
  });

  test('monthly cap limits what a credit may add', () => {
    expect(underMonthlyCap(DEFAULT_PLAN, 990_000, 8_500)).toBe(8_500);
    expect(underMonthlyCap(DEFAULT_PLAN, 995_000, 8_500)).toBe(5_000);
    expect(underMonthlyCap(DEFAULT_PLAN, 1_000_000, 8_500)).toBe(0);
    expect(underMonthlyCap({ ...DEFAULT_PLAN, monthlyCapCents: null }, 5_000_000, 8_500)).toBe(8_500);
  });

  test('volume tiers by conversions in the period', () => {
    expect(volumeBonus(DEFAULT_PLAN, 9, 1_000_000)).toBe(0);
    expect(volumeBonus(DEFAULT_PLAN, 10, 1_000_000)).toBe(10_000);
    expect(volumeBonus(DEFAULT_PLAN, 25, 1_000_000)).toBe(20_000);
  });

  test('clawback only within the window', () => {
    const sold = Date.UTC(2026, 10, 1);
    expect(withinClawback(DEFAULT_PLAN, sold, sold + 60 * 86_400_000)).toBe(true);
    expect(withinClawback(DEFAULT_PLAN, sold, sold + 60 * 86_400_000 + 1)).toBe(false);
  });
});

describe('points', () => {
  test('accepting earns points, a fast answer a bonus', () => {
    expect(acceptancePoints(rules, 60_000)).toEqual([
      { reason: 'lead_accepted', points: 10 },
      { reason: 'fast_response', points: 5 },
    ]);
    expect(acceptancePoints(rules, 120_001)).toEqual([{ reason: 'lead_accepted', points: 10 }]);
    expect(acceptancePoints(rules, null)).toEqual([{ reason: 'lead_accepted', points: 10 }]);
  });

  const action = (type: CommunityEvent['type'], actorId: string, authorId: string): CommunityEvent => ({
    eventId: 'e1',
    type,
    postId: 'p1',
    commentId: null,
    actorId,
    authorId,
    category: 'tips',
    title: null,
    body: null,
    at: 0,
  });

  test('community actions earn their points; featuring is outside the daily cap', () => {
    expect(communityPoints(rules, action('post', 'a', 'a'), false)).toEqual({
      award: { reason: 'community_post', points: 5 },
      capped: true,
    });
    expect(communityPoints(rules, action('like', 'a', 'b'), false).award).toEqual({
      reason: 'community_like',
      points: 1,
    });
    expect(communityPoints(rules, action('featured', 'mod', 'a'), false)).toEqual({
      award: { reason: 'story_featured', points: 25 },
      capped: false,
    });
  });

  test('no points for liking or commenting on your own post, or liking twice', () => {
    expect(communityPoints(rules, action('like', 'a', 'a'), false)).toMatchObject({
      award: null,
      why: 'own_post',
    });
    expect(communityPoints(rules, action('comment', 'a', 'a'), false)).toMatchObject({ award: null });
    expect(communityPoints(rules, action('featured', 'a', 'a'), false)).toMatchObject({ award: null });
    expect(communityPoints(rules, action('like', 'a', 'b'), true)).toMatchObject({
      award: null,
      why: 'already_liked',
    });
  });

  test('daily cap', () => {
    expect(underDailyCap(30, 27, 5)).toBe(3);
    expect(underDailyCap(30, 30, 5)).toBe(0);
    expect(underDailyCap(30, 0, 5)).toBe(5);
  });
});

describe('tiers', () => {
  test('thresholds', () => {
    expect(tierFor(tiers, 0).tier).toBe('silver');
    expect(tierFor(tiers, 499).tier).toBe('silver');
    expect(tierFor(tiers, 500).tier).toBe('gold');
    expect(tierFor(tiers, 1_500).tier).toBe('platinum');
    expect(tierFor(tiers, 4_000).tier).toBe('diamond');
  });

  test('promotion during a period only upwards', () => {
    expect(promotion(tiers, 'silver', 520)?.tier).toBe('gold');
    expect(promotion(tiers, 'gold', 520)).toBeNull();
    expect(promotion(tiers, 'platinum', 520)).toBeNull();
  });

  test('period close keeps, promotes or demotes by the closed period points', () => {
    expect(periodClose(tiers, 'gold', 600)).toMatchObject({ change: 'kept', rule: { tier: 'gold' } });
    expect(periodClose(tiers, 'platinum', 600)).toMatchObject({ change: 'demoted', rule: { tier: 'gold' } });
    expect(periodClose(tiers, 'silver', 5_000)).toMatchObject({
      change: 'promoted',
      rule: { tier: 'diamond' },
    });
    expect(periodClose(tiers, null, 0)).toMatchObject({ change: 'started', rule: { tier: 'silver' } });
  });

  test('benefits: routing sees the earned tier and a higher daily capacity', () => {
    const agent = testAgent({ agentId: 'a', vipTier: null, capacity: { daily: 10, concurrent: 3 } });
    const routed = withTierBenefits(agent, {
      agentId: 'a',
      tier: 'platinum',
      priorityBoost: 0.75,
      dailyCapBonus: 5,
      period: '2026-11',
      periodPoints: 1_600,
      change: 'promoted',
      at: 0,
    });
    expect(routed.vipTier).toBe('platinum');
    expect(routed.capacity).toEqual({ daily: 15, concurrent: 3 });
    expect(withTierBenefits(agent, undefined)).toBe(agent);
  });
});

describe('config', () => {
  test('a file overrides only what it names; plans start from the default plan', () => {
    const config = parseRewardsConfig(`
plans:
  premium: { flatCents: 5000, clawbackDays: 30 }
points: { like: 2 }
`);
    expect(config.plans.premium).toEqual({ ...DEFAULT_PLAN, flatCents: 5_000, clawbackDays: 30 });
    expect(config.points.like).toBe(2);
    expect(config.points.post).toBe(5);
    expect(planFor(config, 'premium').flatCents).toBe(5_000);
    expect(planFor(config, 'nope')).toBe(config.plans.standard);
    expect(planFor(config, null)).toBe(config.plans.standard);
  });

  test('errors name the field', () => {
    expect(() => parseRewardsConfig('points: { like: -1 }')).toThrow(/points\.like/);
    expect(() => parseRewardsConfig('defaultPlan: gold')).toThrow(/defaultPlan: no plan named "gold"/);
    expect(() =>
      parseRewardsConfig('tiers: [{ tier: gold, minPoints: 10, priorityBoost: 1, dailyCapBonus: 0 }]'),
    ).toThrow(RewardsConfigError);
    expect(() => parseRewardsConfig('plans: { x: { premiumShare: 2 } }')).toThrow(/plans\.x\.premiumShare/);
  });
});

test('periods are UTC months', () => {
  expect(periodOf(Date.UTC(2026, 10, 30, 23, 59))).toBe('2026-11');
  expect(periodEnd('2026-12')).toBe(Date.UTC(2027, 0, 1));
  expect(() => periodEnd('2026-13')).toThrow(/YYYY-MM/);
});

test('match ranks by the tier priority boost from agent.tiers over the profile tier', () => {
  const config = parseRoutingConfig(`
defaults:
  weights: { specialisation: 0, distance: 0, conversion: 0, responseTime: 0, acceptance: 0, load: 0,
             tierFit: 0, vip: 1, referral: 0, team: 0, similarSuccess: 0 }
`);
  const agents = [
    testAgent({ agentId: 'a', vipTier: 'diamond' }),
    testAgent({ agentId: 'b', vipTier: 'silver' }),
  ];
  const tables = {
    agents: () => agents,
    performance: () => undefined,
    features: () => undefined,
  };
  const now = WEDNESDAY_10AM_PACIFIC;
  expect(matchLead(testLead(), tables, config, now).candidates.map((c) => c.agentId)).toEqual(['a', 'b']);
  const boosts: Record<string, number> = { a: 0.25, b: 1 };
  const boosted = matchLead(testLead(), { ...tables, priorityBoost: (id) => boosts[id] }, config, now);
  expect(boosted.candidates.map((c) => [c.agentId, c.score])).toEqual([
    ['b', 1],
    ['a', 0.25],
  ]);
});
