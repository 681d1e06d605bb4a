/**
 * TypeScript shapes of the rewards topics. They match `schemas/partner.avsc`, `referral.avsc`,
 * `community-event.avsc`, `reward-activity.avsc`, `reward-event.avsc` and `agent-tier.avsc` field
 * for field: optional Avro fields are `T | null`, times are epoch ms, money is in US cents.
 */
import type { VipTier } from './routing-records';

export const PARTNER_STATUSES = ['pending', 'active', 'suspended', 'closed'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

export const PAYOUT_METHODS = ['ach', 'paypal', 'check'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

/** Topic `partners`, keyed by partner id. */
export interface Partner {
  partnerId: string;
  name: string;
  status: PartnerStatus;
  plan: string | null;
  routingGroup: string | null;
  payout: { method: PayoutMethod; last4: string | null; fingerprint: string } | null;
  registeredAt: number;
  updatedAt: number;
  source: string;
}

export const REFERRAL_STEPS = [
  'submitted',
  'qualified',
  'converted',
  'rewarded',
  'expired',
  'rejected',
  'clawed_back',
] as const;
export type ReferralStep = (typeof REFERRAL_STEPS)[number];

/** Topic `referrals`, keyed by the referred lead id. */
export interface ReferralEvent {
  eventId: string;
  leadId: string;
  partnerId: string;
  type: ReferralStep;
  at: number;
  reason: string | null;
  premiumCents: number | null;
  commissionCents: number | null;
  agentId: string | null;
  note: string | null;
}

export const COMMUNITY_TYPES = ['post', 'comment', 'like', 'story', 'featured'] as const;
export type CommunityType = (typeof COMMUNITY_TYPES)[number];

/** Topic `community.events`, keyed by `communityKey(event)`. */
export interface CommunityEvent {
  eventId: string;
  type: CommunityType;
  postId: string;
  commentId: string | null;
  actorId: string;
  authorId: string;
  category: string | null;
  title: string | null;
  body: string | null;
  at: number;
}

/** The agent a community action may earn points for, which is also its key. */
export const communityKey = (event: Pick<CommunityEvent, 'type' | 'actorId' | 'authorId'>) =>
  event.type === 'featured' ? event.authorId : event.actorId;

export const ACTIVITY_KINDS = [
  'lead_accepted',
  'lead_converted',
  'referral_converted',
  'referral_cancelled',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** Topic `rewards.activity` (internal), keyed by account id. */
export interface RewardActivity {
  activityId: string;
  kind: ActivityKind;
  accountId: string;
  leadId: string;
  at: number;
  responseMs: number | null;
  premiumCents: number | null;
  soldAt: number | null;
  plan: string | null;
}

export type AccountKind = 'agent' | 'partner';

export const REWARD_REASONS = [
  'lead_accepted',
  'fast_response',
  'lead_converted',
  'community_post',
  'community_comment',
  'community_like',
  'community_story',
  'story_featured',
  'referral_commission',
  'volume_bonus',
  'clawback',
  'payout',
] as const;
export type RewardReason = (typeof REWARD_REASONS)[number];

/** Topic `rewards`, keyed by account id: one ledger entry. */
export interface RewardEvent {
  eventId: string;
  accountKind: AccountKind;
  accountId: string;
  points: number;
  amountCents: number;
  reason: RewardReason;
  sourceEventId: string;
  leadId: string | null;
  period: string;
  at: number;
  detail: string | null;
}

export type TierChange = 'promoted' | 'demoted' | 'kept' | 'started';

/** Topic `agent.tiers`, keyed by agent id. */
export interface AgentTier {
  agentId: string;
  tier: VipTier;
  priorityBoost: number;
  dailyCapBonus: number;
  period: string;
  periodPoints: number;
  change: TierChange;
  at: number;
}
