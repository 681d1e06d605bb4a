/**
 * The reward logic end to end in memory: lead events through reward-leads' lifecycle, its
 * activities straight into reward's accounts, with exact ledger figures.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { testLead } from '../../tools/routing-fixtures';
import type { LeadOutcomeEvent } from '../../schemas/score-records';
import { type AccountPorts, advanceTo, onActivity, onCommunity } from './accounts';
import { Agenda, mapTable } from './agenda';
import { DEFAULT_REWARDS_CONFIG, type RewardsConfig } from './config';
import {
  expireDue,
  type LeadRewardPorts,
  type LeadRewardState,
  onAssignment,
  onOutcome,
  onRejected,
  onReferral,
  onScored,
} from './lead-rewards';
import type {
  AgentTier,
  CommunityEvent,
  Partner,
  ReferralEvent,
  RewardEvent,
} from '../../schemas/reward-records';

const NOV = Date.UTC(2026, 10, 2, 12);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const partner = (partnerId: string, status: Partner['status'] = 'active'): Partner => ({
  partnerId,
  name: partnerId,
  status,
  plan: null,
  routingGroup: null,
  payout: null,
  registeredAt: 0,
  updatedAt: 0,
  source: 'test',
});

function world(config: RewardsConfig = DEFAULT_REWARDS_CONFIG) {
  const referrals: ReferralEvent[] = [];
  const ledger: RewardEvent[] = [];
  const tiers: AgentTier[] = [];
  const partners = new Map([
    ['p1', partner('p1')],
    ['p2', partner('p2')],
    ['off', partner('off', 'suspended')],
  ]);
  const accounts: AccountPorts = {
    config,
    accounts: mapTable(),
    likes: mapTable(),
    seen: mapTable(),
    agenda: new Agenda(mapTable()),
    emitLedger: (e) => ledger.push(e),
    emitTier: (t) => tiers.push(t),
    emitReferral: (r) => referrals.push(r),
  };
  const leads: LeadRewardPorts = {
    config,
    leads: mapTable<LeadRewardState>(),
    agenda: new Agenda(mapTable()),
    partner: (id) => partners.get(id),
    emitReferral: (r) => referrals.push(r),
    emitActivity: (a) => {
      advanceTo(accounts, a.at);
      onActivity(accounts, a);
    },
  };
  const at = (time: number) => {
    leads.agenda.observe(time);
    expireDue(leads);
  };
  return {
    referrals,
    ledger,
    tiers,
    accounts,
    refer: (leadId: string, partnerId: string, time = NOV) => {
      at(time);
      onReferral(leads, {
        eventId: `sub-${leadId}-${partnerId}`,
        leadId,
        partnerId,
        type: 'submitted',
        at: time,
        reason: null,
        premiumCents: null,
        commissionCents: null,
        agentId: null,
        note: null,
      });
    },
    scored: (leadId: string, score: number, time = NOV + MIN) => {
      at(time);
      onScored(leads, { leadId, scoredAt: time, score: { score } as never });
    },
    rejected: (leadId: string, time = NOV + MIN) => {
      at(time);
      onRejected(leads, { leadId, rejectedAt: time, reasons: [{ code: 'phone_invalid' }] });
    },
    offerAccepted: (leadId: string, agentId: string, answerMs: number, time = NOV + 2 * MIN) => {
      const base = {
        leadId,
        routingGroup: 'g',
        agentId,
        offerId: `${leadId}-o1`,
        attempt: 1,
        strategy: null,
        matchedAt: time,
      } as const;
      const event = (n: number, type: AssignmentEvent['type'], t: number) =>
        ({
          ...base,
          eventId: `${leadId}:${n}`,
          type,
          at: t,
          expiresAt: null,
          escalation: null,
          reason: null,
          outcome: null,
          rankScore: null,
          lead: testLead({ leadId }),
        }) satisfies AssignmentEvent;
      at(time);
      onAssignment(leads, event(1, 'offered', time));
      at(time + answerMs);
      onAssignment(leads, event(2, 'accepted', time + answerMs));
    },
    outcome: (
      leadId: string,
      status: string,
      time: number,
      premiumUsd: number | null = null,
      agentId: string | null = 'a1',
    ) => {
      at(time);
      onOutcome(leads, {
        eventId: `${leadId}-${status}`,
        leadId,
        status,
        at: time,
        agentId,
        premiumUsd,
        reason: null,
      } as LeadOutcomeEvent);
    },
    community: (
      event: Partial<CommunityEvent> & Pick<CommunityEvent, 'eventId' | 'type' | 'actorId' | 'authorId'>,
    ) => {
      const full: CommunityEvent = {
        postId: 'post1',
        commentId: null,
        category: 'tips',
        title: null,
        body: null,
        at: NOV,
        ...event,
      };
      advanceTo(accounts, full.at);
      onCommunity(accounts, full);
    },
    tick: (time: number) => {
      at(time);
      advanceTo(accounts, time);
    },
  };
}

const steps = (referrals: ReferralEvent[], leadId: string) =>
  referrals.filter((r) => r.leadId === leadId).map((r) => r.type);

test('a referral is qualified by its score, converted by the sale and rewarded', () => {
  const w = world();
  w.refer('L1', 'p1');
  w.scored('L1', 70);
  w.offerAccepted('L1', 'a1', 30_000);
  w.outcome('L1', 'sold', NOV + DAY, 1_200);
  expect(steps(w.referrals, 'L1')).toEqual(['qualified', 'converted', 'rewarded']);
  const partnerEntries = w.ledger.filter((e) => e.accountKind === 'partner');
  expect(partnerEntries).toEqual([
    expect.objectContaining({
      eventId: 'referral_commission:referral:L1:converted',
      accountId: 'p1',
      amountCents: 8_500, // 2500 + 5% of 120 000
      leadId: 'L1',
      period: '2026-11',
    }),
  ]);
  const agentEntries = w.ledger.filter((e) => e.accountKind === 'agent').map((e) => [e.eventId, e.points]);
  expect(agentEntries).toEqual([
    ['lead_accepted:assignment:L1:2', 10],
    ['fast_response:assignment:L1:2', 5],
    ['lead_converted:outcome:L1-sold', 50],
  ]);
});

test('rejected leads, low scores, unknown or suspended partners and second referrals are rejected', () => {
  const w = world({ ...DEFAULT_REWARDS_CONFIG, referral: { expiryDays: 90, qualifyMinScore: 40 } });
  w.refer('L1', 'p1');
  w.rejected('L1');
  w.refer('L2', 'p1');
  w.scored('L2', 39);
  w.refer('L3', 'nobody');
  w.refer('L4', 'off');
  w.refer('L5', 'p1');
  w.refer('L5', 'p2');
  expect(w.referrals.map((r) => [r.leadId, r.type, r.reason])).toEqual([
    ['L1', 'rejected', 'lead_rejected: phone_invalid'],
    ['L2', 'rejected', 'low_score: 39 < 40'],
    ['L3', 'rejected', 'partner_unknown'],
    ['L4', 'rejected', 'partner_suspended'],
    ['L5', 'rejected', 'already_referred'],
  ]);
  // A rejected referral earns nothing when the lead sells anyway.
  w.outcome('L2', 'sold', NOV + DAY, 1_000);
  expect(w.ledger.filter((e) => e.accountKind === 'partner')).toEqual([]);
});

test('a referral not converted in time expires by stream time', () => {
  const w = world();
  w.refer('L1', 'p1');
  w.scored('L1', 50);
  w.tick(NOV + 89 * DAY);
  expect(steps(w.referrals, 'L1')).toEqual(['qualified']);
  w.tick(NOV + 90 * DAY);
  expect(steps(w.referrals, 'L1')).toEqual(['qualified', 'expired']);
  w.outcome('L1', 'sold', NOV + 91 * DAY, 1_000);
  expect(w.ledger.filter((e) => e.accountKind === 'partner')).toEqual([]);
});

test('a cancellation inside the clawback window takes the commission back; outside it does not', () => {
  const w = world();
  w.refer('L1', 'p1');
  w.refer('L2', 'p1');
  w.outcome('L1', 'sold', NOV, 1_000);
  w.outcome('L2', 'sold', NOV, 1_000);
  w.outcome('L1', 'cancelled', NOV + 30 * DAY);
  w.outcome('L2', 'cancelled', NOV + 61 * DAY);
  const partner = w.ledger
    .filter((e) => e.accountKind === 'partner')
    .map((e) => [e.reason, e.leadId, e.amountCents, e.period]);
  expect(partner).toEqual([
    ['referral_commission', 'L1', 7_500, '2026-11'],
    ['referral_commission', 'L2', 7_500, '2026-11'],
    ['clawback', 'L1', -7_500, '2026-12'],
  ]);
  expect(steps(w.referrals, 'L1')).toEqual(['converted', 'rewarded', 'clawed_back']);
});

test('volume bonus and monthly cap settle when the period closes', () => {
  const plan = { ...DEFAULT_REWARDS_CONFIG.plans.standard!, monthlyCapCents: 100_000 };
  const w = world({ ...DEFAULT_REWARDS_CONFIG, plans: { standard: plan } });
  for (let i = 0; i < 12; i++) {
    w.refer(`L${i}`, 'p1');
    w.outcome(`L${i}`, 'sold', NOV + i * MIN, 1_000);
  }
  const credits = w.ledger.filter((e) => e.reason === 'referral_commission').map((e) => e.amountCents);
  // 2500 + 5% of 100 000 each: 90 000 in all, under the 100 000 cap.
  expect(credits).toEqual(Array(12).fill(7_500));
  w.tick(Date.UTC(2026, 11, 3, 23, 59));
  expect(w.ledger.filter((e) => e.reason === 'volume_bonus')).toEqual([]);
  w.tick(Date.UTC(2026, 11, 4));
  // 12 conversions: 1% of 1 200 000 = 12 000, but only 10 000 is left under the cap.
  expect(w.ledger.filter((e) => e.reason === 'volume_bonus')).toEqual([
    expect.objectContaining({ eventId: 'volume_bonus:p1:2026-11', amountCents: 10_000, period: '2026-11' }),
  ]);
});

test('community points: anti-gaming and the daily cap', () => {
  const w = world();
  w.community({ eventId: 'c1', type: 'post', actorId: 'a1', authorId: 'a1' });
  w.community({ eventId: 'c2', type: 'like', actorId: 'a1', authorId: 'a1' });
  w.community({ eventId: 'c3', type: 'like', actorId: 'a2', authorId: 'a1' });
  w.community({ eventId: 'c4', type: 'like', actorId: 'a2', authorId: 'a1' });
  for (let i = 0; i < 4; i++)
    w.community({ eventId: `s${i}`, type: 'story', postId: `st${i}`, actorId: 'a3', authorId: 'a3' });
  w.community({ eventId: 'f1', type: 'featured', postId: 'st0', actorId: 'mod', authorId: 'a3' });
  w.community({ eventId: 's9', type: 'story', postId: 'st9', actorId: 'a3', authorId: 'a3', at: NOV + DAY });
  const points = w.ledger.map((e) => [e.accountId, e.eventId, e.points]);
  expect(points).toEqual([
    ['a1', 'community_post:c1', 5],
    ['a2', 'community_like:c3', 1],
    ['a3', 'community_story:s0', 10],
    ['a3', 'community_story:s1', 10],
    ['a3', 'community_story:s2', 10],
    // s3: the day's 30 points are reached, nothing left.
    ['a3', 'story_featured:f1', 25],
    ['a3', 'community_story:s9', 10],
  ]);
});

test('tiers: promotion when the points reach a tier, demotion at the period close', () => {
  const w = world();
  for (let i = 0; i < 30; i++) w.outcome(`L${i}`, 'sold', NOV + i * MIN, null, 'a1');
  // 30 x 50 = 1500 points: gold at 500, platinum at 1500.
  expect(w.tiers.map((t) => [t.tier, t.change, t.periodPoints])).toEqual([
    ['silver', 'started', 50],
    ['gold', 'promoted', 500],
    ['platinum', 'promoted', 1_500],
  ]);
  w.tick(Date.UTC(2026, 11, 4, 0, 0, 1));
  expect(w.tiers.at(-1)).toMatchObject({
    tier: 'platinum',
    change: 'kept',
    period: '2026-12',
    dailyCapBonus: 5,
  });
  // December brings nothing: at its close platinum is lost.
  w.tick(Date.UTC(2027, 0, 4, 0, 0, 1));
  expect(w.tiers.at(-1)).toMatchObject({
    tier: 'silver',
    change: 'demoted',
    period: '2027-01',
    priorityBoost: 0.25,
  });
});

test('the same input yields the same ledger, ids included', () => {
  const run = () => {
    const w = world();
    w.refer('L1', 'p1');
    w.scored('L1', 70);
    w.offerAccepted('L1', 'a1', 200_000);
    w.outcome('L1', 'sold', NOV + DAY, 800);
    w.community({ eventId: 'c1', type: 'post', actorId: 'a1', authorId: 'a1' });
    w.tick(Date.UTC(2026, 11, 5));
    return w.ledger;
  };
  const first = run();
  expect(first.length).toBe(4);
  expect(run()).toEqual(first);
});

test('an activity delivered twice (a replay of reward-leads) counts once', () => {
  const w = world();
  w.outcome('L1', 'sold', NOV, null, 'a1');
  const again = w.ledger.length;
  w.community({ eventId: 'c1', type: 'post', actorId: 'a1', authorId: 'a1' });
  w.community({ eventId: 'c1', type: 'post', actorId: 'a1', authorId: 'a1' });
  advanceTo(w.accounts, NOV);
  onActivity(w.accounts, {
    activityId: 'outcome:L1-sold',
    kind: 'lead_converted',
    accountId: 'a1',
    leadId: 'L1',
    at: NOV,
    responseMs: null,
    premiumCents: 0,
    soldAt: NOV,
    plan: null,
  });
  expect(w.ledger.map((e) => e.eventId)).toEqual(['lead_converted:outcome:L1-sold', 'community_post:c1']);
  expect(again).toBe(1);
  expect((w.accounts.accounts.get('agent|a1') as { points: Record<string, number> }).points['2026-11']).toBe(
    55,
  );
});
