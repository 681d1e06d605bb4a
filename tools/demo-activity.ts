/**
 * A seeded month of rewards-program activity around a set of leads, for `leadflow demo`: partners,
 * their referrals of some leads, what the leads' agents sold (and one cancellation), and agents'
 * community posts, comments, likes, stories and a featured story.
 */
import { createRng } from '../models/prng';
import type { LeadOutcomeEvent } from '../schemas/score-records';
import {
  type CommunityEvent,
  communityKey,
  type Partner,
  type ReferralEvent,
} from '../schemas/reward-records';

export interface DemoActivity {
  partners: Partner[];
  referrals: ReferralEvent[];
  outcomes: LeadOutcomeEvent[];
  community: { key: string; event: CommunityEvent }[];
}

const MIN = 60_000;

/** The agents the demo's sales name (cli/demo-agents.ts registers them on the agents topic). */
export const DEMO_AGENT_IDS = Array.from({ length: 12 }, (_, i) => `demo-agent-${i + 1}`);

export function demoActivity(leadIds: readonly string[], seed: string, now: number): DemoActivity {
  const rng = createRng(`rewards-demo/${seed}`);
  const partners: Partner[] = ['p-harbor', 'p-summit', 'p-lakeside', 'p-keystone'].map((partnerId, i) => ({
    partnerId,
    name: partnerId.slice(2).replace(/^./, (c) => c.toUpperCase()) + ' Referrals',
    status: i === 3 ? 'suspended' : 'active',
    plan: null,
    routingGroup: null,
    payout: { method: 'ach', last4: String(1000 + i * 1111), fingerprint: (i + 1).toString(16).repeat(64) },
    registeredAt: now - 30 * 24 * 60 * MIN,
    updatedAt: now - 30 * 24 * 60 * MIN,
    source: 'demo',
  }));
  const agents = DEMO_AGENT_IDS;
  const referrals: ReferralEvent[] = [];
  const outcomes: LeadOutcomeEvent[] = [];
  let t = now;
  for (const leadId of leadIds) {
    t += MIN;
    const referred = rng.bool(0.25);
    if (referred) {
      referrals.push({
        eventId: `demo-ref-${leadId}`,
        leadId,
        partnerId: rng.pick(partners).partnerId,
        type: 'submitted',
        at: t,
        reason: null,
        premiumCents: null,
        commissionCents: null,
        agentId: null,
        note: null,
      });
    }
    if (rng.bool(referred ? 0.35 : 0.12)) {
      const agentId = agents[Math.floor(rng.next() ** 2 * agents.length)]!;
      const sold = { leadId, at: t + 2 * 24 * 60 * MIN, agentId, reason: null };
      outcomes.push({
        ...sold,
        eventId: `demo-sold-${leadId}`,
        status: 'sold',
        premiumUsd: rng.int(600, 3_000),
      });
      if (rng.bool(0.08)) {
        outcomes.push({
          ...sold,
          eventId: `demo-cancel-${leadId}`,
          status: 'cancelled',
          at: sold.at + 7 * 24 * 60 * MIN,
          premiumUsd: null,
        });
      }
    }
  }
  const community: CommunityEvent[] = [];
  agents.forEach((agentId, i) => {
    for (let n = 0; n < 1 + (i % 4); n++) {
      const postId = `demo-post-${agentId}-${n}`;
      const type = n === 0 && i % 3 === 0 ? 'story' : 'post';
      community.push(action(`${postId}`, type, agentId, agentId, postId, now + (i * 10 + n) * MIN));
      for (const other of agents) {
        if (other !== agentId && rng.bool(0.3)) {
          community.push(
            action(`${postId}-like-${other}`, 'like', other, agentId, postId, now + (i * 10 + n + 1) * MIN),
          );
        }
        if (other !== agentId && rng.bool(0.1)) {
          community.push(
            action(
              `${postId}-comment-${other}`,
              'comment',
              other,
              agentId,
              postId,
              now + (i * 10 + n + 2) * MIN,
            ),
          );
        }
      }
      if (type === 'story' && i === 0) {
        community.push(
          action(
            `${postId}-featured`,
            'featured',
            'moderator',
            agentId,
            postId,
            now + (i * 10 + n + 3) * MIN,
          ),
        );
      }
    }
  });
  return {
    partners,
    referrals,
    outcomes,
    community: community.map((event) => ({ key: communityKey(event), event })),
  };
}

function action(
  eventId: string,
  type: CommunityEvent['type'],
  actorId: string,
  authorId: string,
  postId: string,
  at: number,
): CommunityEvent {
  return {
    eventId,
    type,
    postId,
    commentId: type === 'comment' ? eventId : null,
    actorId,
    authorId,
    category: type === 'story' ? 'success' : 'tips',
    title: type === 'post' || type === 'story' ? `Notes from ${actorId}` : null,
    body: null,
    at,
  };
}
