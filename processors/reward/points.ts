/**
 * VIP points: what each activity earns an agent, and the anti-gaming limits (nothing for engaging
 * with your own post, one like per post, daily caps per UTC day).
 */
import type { PointsRules } from './config';
import type { CommunityEvent, RewardReason } from '../../schemas/reward-records';

export interface PointsAward {
  reason: RewardReason;
  points: number;
}

/** Accepting an offer, plus the fast-response bonus when it was answered quickly enough. */
export function acceptancePoints(rules: PointsRules, responseMs: number | null): PointsAward[] {
  const awards: PointsAward[] = [{ reason: 'lead_accepted', points: rules.leadAccepted }];
  if (responseMs !== null && responseMs <= rules.fastResponseSeconds * 1000) {
    awards.push({ reason: 'fast_response', points: rules.fastResponse });
  }
  return awards.filter((a) => a.points > 0);
}

const COMMUNITY_REASON = {
  post: 'community_post',
  comment: 'community_comment',
  like: 'community_like',
  story: 'community_story',
  featured: 'story_featured',
} as const satisfies Record<CommunityEvent['type'], RewardReason>;

/**
 * Points a community action earns the agent it is keyed by, before the daily cap. Liking or
 * commenting on your own post, featuring your own story and liking a post twice earn nothing.
 * Featuring is a moderator's act and is not under the daily cap.
 */
export function communityPoints(
  rules: PointsRules,
  event: CommunityEvent,
  alreadyLiked: boolean,
): { award: PointsAward | null; capped: boolean; why?: string } {
  const selfEngagement = event.type === 'like' || event.type === 'comment' || event.type === 'featured';
  if (selfEngagement && event.actorId === event.authorId)
    return { award: null, capped: false, why: 'own_post' };
  if (event.type === 'like' && alreadyLiked) return { award: null, capped: false, why: 'already_liked' };
  const points = rules[event.type];
  if (points <= 0) return { award: null, capped: false, why: 'no_points' };
  return { award: { reason: COMMUNITY_REASON[event.type], points }, capped: event.type !== 'featured' };
}

/** What an award may add under a daily cap, given what the day has earned so far. */
export const underDailyCap = (cap: number, earnedToday: number, points: number) =>
  Math.max(0, Math.min(points, cap - earnedToday));
