/** Rewards test data: partners, referrals, assignment events and outcomes with fixed times. */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { testLead } from '../../tools/routing-fixtures';
import type { CommunityEvent, Partner, ReferralEvent } from '../../schemas/reward-records';
import type { LeadOutcomeEvent } from '../../schemas/score-records';

export const NOV = Date.UTC(2026, 10, 2, 12);
export const MIN = 60_000;
export const DAY = 24 * 60 * MIN;

export const partner = (partnerId: string, status: Partner['status'] = 'active'): Partner => ({
  partnerId,
  name: `Partner ${partnerId}`,
  status,
  plan: null,
  routingGroup: null,
  payout: { method: 'ach', last4: '6789', fingerprint: 'f'.repeat(64) },
  registeredAt: NOV - DAY,
  updatedAt: NOV - DAY,
  source: 'test',
});

export const referral = (leadId: string, partnerId: string, at = NOV): ReferralEvent => ({
  eventId: `sub-${leadId}`,
  leadId,
  partnerId,
  type: 'submitted',
  at,
  reason: null,
  premiumCents: null,
  commissionCents: null,
  agentId: null,
  note: null,
});

export function offerAndAccept(
  leadId: string,
  agentId: string,
  at: number,
  answerMs: number,
): AssignmentEvent[] {
  const event = (n: number, type: AssignmentEvent['type'], time: number): AssignmentEvent => ({
    eventId: `${leadId}:${n}`,
    leadId,
    type,
    routingGroup: 'g',
    agentId,
    offerId: `${leadId}-o1`,
    attempt: 1,
    strategy: 'best_match',
    at: time,
    matchedAt: at,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome: null,
    rankScore: null,
    lead: testLead({ leadId }),
  });
  return [event(1, 'offered', at), event(2, 'accepted', at + answerMs)];
}

export const outcome = (
  leadId: string,
  status: string,
  at: number,
  premiumUsd: number | null,
  agentId: string,
): LeadOutcomeEvent =>
  ({
    eventId: `${leadId}-${status}`,
    leadId,
    status,
    at,
    agentId,
    premiumUsd,
    reason: null,
  }) as LeadOutcomeEvent;

export const community = (
  eventId: string,
  type: CommunityEvent['type'],
  actorId: string,
  authorId: string,
  postId = 'post-1',
  at = NOV,
): CommunityEvent => ({
  eventId,
  type,
  postId,
  commentId: type === 'comment' ? `${eventId}-c` : null,
  actorId,
  authorId,
  category: 'tips',
  title: type === 'post' || type === 'story' ? `title ${postId}` : null,
  body: 'text',
  at,
});
