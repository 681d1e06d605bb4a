import { defineProcessor, type Processor, type ProcessorContext } from '../../runtime/processor';
import type { KeyValueStore } from '../../runtime/store';
import { TOPIC } from '../../topics/platform';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { type AccountPorts, advanceTo, onActivity, onCommunity } from './accounts';
import { Agenda, type Table } from './agenda';
import { loadRewardsConfig, type RewardsConfig } from './config';
import {
  expireDue,
  type LeadRewardPorts,
  onAssignment,
  onOutcome,
  onRejected,
  onReferral,
  onScored,
  type RejectedLeadFacts,
} from './lead-rewards';
import type { CommunityEvent, Partner, ReferralEvent, RewardActivity } from '../../schemas/reward-records';

/**
 * A lead's reward state is dropped this long after its last event (wall clock): a referred lead's
 * after long enough for its clawback window, any other lead's once its offers are long answered
 * (a referral arriving later finds no score, and qualifies when the lead sells).
 */
const REFERRED_LEAD_STATE_DAYS = 400;
const LEAD_STATE_DAYS = 7;
const DAY_MS = 24 * 3_600_000;

/** Task stores as the domain's tables. Reads are copies: the domain mutates what it reads before `put`. */
function table<V>(ctx: ProcessorContext, name: string): Table<V> {
  const store: KeyValueStore<V> = ctx.store<V>(name);
  return {
    get: (key) => {
      const value = store.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
    range: (from, to) => store.range(from, to),
  };
}

/** The event time of a record of one of the lead topics reward-leads reads. */
function eventTime(topic: string, value: unknown): number {
  switch (topic) {
    case TOPIC.leadsScored:
      return (value as ScoredLead).scoredAt;
    case TOPIC.leadsRejected:
      return (value as RejectedLeadFacts).rejectedAt;
    default:
      return (value as { at: number }).at;
  }
}

/**
 * reward-leads: follows each lead (keyed by lead id) through referral, scoring, assignment and
 * outcome; moves referrals through their lifecycle and re-keys what may earn an agent or partner
 * something onto rewards.activity, keyed by account, for reward.
 */
export const rewardLeadsProcessor = (config: RewardsConfig) =>
  defineProcessor<unknown>({
    name: 'reward-leads',
    inputs: [TOPIC.referrals, TOPIC.leadsScored, TOPIC.leadsRejected, TOPIC.assignments, TOPIC.leadOutcomes],
    outputs: [TOPIC.referrals, TOPIC.rewardActivity],
    stores: ['leads', 'agenda'],
    globals: [TOPIC.partners],
    process(record, ctx) {
      const partners = ctx.global<Partner>(TOPIC.partners);
      const p: LeadRewardPorts = {
        config,
        leads: table(ctx, 'leads'),
        agenda: new Agenda(table(ctx, 'agenda')),
        partner: (partnerId) => partners.get(partnerId),
        emitReferral: (event) => ctx.emit(TOPIC.referrals, event.leadId, event),
        emitActivity: (activity) => ctx.emit(TOPIC.rewardActivity, activity.accountId, activity),
      };
      const value = record.value;
      // A referral step this stage or reward emitted comes back here; it changes nothing.
      if (record.topic === TOPIC.referrals && (value as ReferralEvent).type !== 'submitted') return;
      p.agenda.observe(eventTime(record.topic, value));
      expireDue(p);
      switch (record.topic) {
        case TOPIC.referrals:
          onReferral(p, value as ReferralEvent);
          break;
        case TOPIC.leadsScored:
          onScored(p, value as ScoredLead);
          break;
        case TOPIC.leadsRejected:
          onRejected(p, value as RejectedLeadFacts);
          break;
        case TOPIC.assignments:
          onAssignment(p, value as AssignmentEvent);
          break;
        case TOPIC.leadOutcomes:
          onOutcome(p, value as LeadOutcomeEvent);
          break;
      }
      const state = p.leads.get(record.key);
      if (state) {
        const days = state.referral ? REFERRED_LEAD_STATE_DAYS : LEAD_STATE_DAYS;
        ctx.schedule(ctx.now() + days * DAY_MS, `purge:${record.key}`);
      }
    },
    onTimer(timer, ctx) {
      ctx.store('leads').delete(timer.key.slice('purge:'.length));
    },
  });

/**
 * reward: keyed by account (agent or partner id). Turns activities and community actions into
 * ledger entries on rewards, agents' tiers onto agent.tiers, and the rewarded and clawed-back
 * steps of referrals; closes periods by stream time (see agenda.ts).
 */
export const rewardProcessor = (config: RewardsConfig) =>
  defineProcessor<RewardActivity | CommunityEvent>({
    name: 'reward',
    inputs: [TOPIC.rewardActivity, TOPIC.communityEvents],
    outputs: [TOPIC.rewards, TOPIC.agentTiers, TOPIC.referrals],
    stores: ['accounts', 'likes', 'seen', 'agenda'],
    process(record, ctx) {
      const p: AccountPorts = {
        config,
        accounts: table(ctx, 'accounts'),
        likes: table(ctx, 'likes'),
        seen: table(ctx, 'seen'),
        agenda: new Agenda(table(ctx, 'agenda')),
        emitLedger: (entry) => ctx.emit(TOPIC.rewards, entry.accountId, entry),
        emitTier: (tier) => ctx.emit(TOPIC.agentTiers, tier.agentId, tier),
        emitReferral: (event) => ctx.emit(TOPIC.referrals, event.leadId, event),
      };
      advanceTo(p, record.value.at);
      if (record.topic === TOPIC.rewardActivity) onActivity(p, record.value as RewardActivity);
      else onCommunity(p, record.value as CommunityEvent);
    },
  });

/** LEADFLOW_REWARDS_CONFIG: the rewards rules file, or the defaults when unset. */
export interface RewardSettings {
  LEADFLOW_REWARDS_CONFIG?: string;
}

/** The reward stages with the rewards config file's rules. */
export function rewardProcessors(settings: RewardSettings): Processor<never>[] {
  const config = loadRewardsConfig(settings.LEADFLOW_REWARDS_CONFIG);
  return [rewardLeadsProcessor(config), rewardProcessor(config)] as Processor<never>[];
}
