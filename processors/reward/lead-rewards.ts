/**
 * reward-leads' logic, per lead: the referral lifecycle (submitted -> qualified -> converted, or
 * rejected / expired) driven by the lead's own events, and the activities that may earn someone
 * something (an agent accepting or selling the lead, a referral converting or its policy being
 * cancelled), re-keyed by account for the reward stage.
 *
 * Every id it emits is derived from the input event it answers, so a replay emits the same ids.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { Agenda, type Table } from './agenda';
import type { RewardsConfig } from './config';
import type { Partner, RewardActivity, ReferralEvent } from '../../schemas/reward-records';

const DAY_MS = 24 * 3_600_000;

export type ReferralStatus = 'submitted' | 'qualified' | 'converted' | 'rejected' | 'expired';

/** reward-leads' state per lead. */
export interface LeadRewardState {
  leadId: string;
  referral: {
    partnerId: string;
    status: ReferralStatus;
    submittedAt: number;
    expiresAt: number;
    plan: string | null;
  } | null;
  /** null until scored. */
  score: number | null;
  /** Reason codes when the lead was rejected. */
  rejected: string[] | null;
  /** Open offers: offer id -> when it was made, to time the answer. */
  offers: Record<string, number>;
  sold: { at: number; agentId: string | null; premiumCents: number } | null;
  cancelled: boolean;
}

export interface LeadRewardPorts {
  config: RewardsConfig;
  leads: Table<LeadRewardState>;
  agenda: Agenda;
  partner(partnerId: string): Partner | undefined;
  emitReferral(event: ReferralEvent): void;
  emitActivity(activity: RewardActivity): void;
}

/** A lead's rejection as leads.rejected carries it (only what reward reads). */
export interface RejectedLeadFacts {
  leadId: string;
  rejectedAt: number;
  reasons: { code: string }[];
}

const newState = (leadId: string): LeadRewardState => ({
  leadId,
  referral: null,
  score: null,
  rejected: null,
  offers: {},
  sold: null,
  cancelled: false,
});

const OPEN: ReadonlySet<ReferralStatus> = new Set(['submitted', 'qualified']);

/** Moves the lead's referral to `status` and says so on the referrals topic. */
function step(
  p: LeadRewardPorts,
  state: LeadRewardState,
  type: Exclude<ReferralStatus, 'submitted'>,
  at: number,
  fields: Partial<ReferralEvent> = {},
): void {
  const referral = state.referral!;
  p.emitReferral({
    eventId: `${state.leadId}:${type}`,
    leadId: state.leadId,
    partnerId: referral.partnerId,
    type,
    at,
    reason: null,
    premiumCents: null,
    commissionCents: null,
    agentId: null,
    note: null,
    ...fields,
  });
  referral.status = type;
  if (!OPEN.has(type)) p.agenda.remove(referral.expiresAt, `expire:${state.leadId}`);
}

function load(p: LeadRewardPorts, leadId: string): LeadRewardState {
  return p.leads.get(leadId) ?? newState(leadId);
}

/** Moves an open referral on by what is already known of its lead. */
function advanceReferral(p: LeadRewardPorts, state: LeadRewardState, at: number): void {
  const referral = state.referral;
  if (!referral || !OPEN.has(referral.status)) return;
  if (state.rejected) {
    step(p, state, 'rejected', at, { reason: `lead_rejected: ${state.rejected.join(', ')}` });
    return;
  }
  if (referral.status === 'submitted' && state.score !== null) {
    if (state.score < p.config.referral.qualifyMinScore) {
      step(p, state, 'rejected', at, {
        reason: `low_score: ${state.score} < ${p.config.referral.qualifyMinScore}`,
      });
      return;
    }
    step(p, state, 'qualified', at);
  }
  if (state.sold) {
    step(p, state, 'converted', at, {
      premiumCents: state.sold.premiumCents,
      agentId: state.sold.agentId,
    });
    p.emitActivity({
      activityId: `referral:${state.leadId}:converted`,
      kind: 'referral_converted',
      accountId: referral.partnerId,
      leadId: state.leadId,
      at: state.sold.at,
      responseMs: null,
      premiumCents: state.sold.premiumCents,
      soldAt: state.sold.at,
      plan: referral.plan,
    });
  }
}

/**
 * A partner's referral (a `submitted` step on the referrals topic; the later steps are this
 * stage's own output and are ignored). The first valid referral of a lead holds it: a second one,
 * or one from an unknown or inactive partner, is answered with a rejected step of its own.
 */
export function onReferral(p: LeadRewardPorts, event: ReferralEvent): void {
  if (event.type !== 'submitted') return;
  const state = load(p, event.leadId);
  const reject = (reason: string) =>
    p.emitReferral({
      ...event,
      eventId: `${event.eventId}:rejected`,
      type: 'rejected',
      reason,
      note: null,
    });
  if (state.referral) {
    if (state.referral.partnerId !== event.partnerId) reject(`already_referred`);
    return;
  }
  const partner = p.partner(event.partnerId);
  if (!partner) return reject('partner_unknown');
  if (partner.status !== 'active') return reject(`partner_${partner.status}`);
  const expiresAt = event.at + p.config.referral.expiryDays * DAY_MS;
  state.referral = {
    partnerId: event.partnerId,
    status: 'submitted',
    submittedAt: event.at,
    expiresAt,
    plan: partner.plan,
  };
  p.agenda.add(expiresAt, `expire:${state.leadId}`);
  advanceReferral(p, state, event.at);
  p.leads.put(state.leadId, state);
}

export function onScored(p: LeadRewardPorts, lead: Pick<ScoredLead, 'leadId' | 'score' | 'scoredAt'>): void {
  const state = load(p, lead.leadId);
  if (state.score !== null) return;
  state.score = lead.score.score;
  advanceReferral(p, state, lead.scoredAt);
  p.leads.put(state.leadId, state);
}

export function onRejected(p: LeadRewardPorts, lead: RejectedLeadFacts): void {
  const state = load(p, lead.leadId);
  if (state.rejected) return;
  state.rejected = lead.reasons.map((r) => r.code);
  advanceReferral(p, state, lead.rejectedAt);
  p.leads.put(state.leadId, state);
}

/** Offers are timed; an accepted offer earns its agent a lead_accepted activity. */
export function onAssignment(p: LeadRewardPorts, event: AssignmentEvent): void {
  if (event.offerId === null || event.agentId === null) return;
  if (event.type === 'offered' || event.type === 'reoffered') {
    const state = load(p, event.leadId);
    state.offers[event.offerId] = event.at;
    p.leads.put(state.leadId, state);
  } else if (event.type === 'accepted') {
    const state = load(p, event.leadId);
    const offeredAt = state.offers[event.offerId];
    delete state.offers[event.offerId];
    p.emitActivity({
      activityId: `assignment:${event.eventId}`,
      kind: 'lead_accepted',
      accountId: event.agentId,
      leadId: event.leadId,
      at: event.at,
      responseMs: offeredAt === undefined ? null : Math.max(0, event.at - offeredAt),
      premiumCents: null,
      soldAt: null,
      plan: null,
    });
    p.leads.put(state.leadId, state);
  } else if (event.type === 'declined' || event.type === 'expired' || event.type === 'withdrawn') {
    const state = p.leads.get(event.leadId);
    if (!state || !(event.offerId in state.offers)) return;
    delete state.offers[event.offerId];
    p.leads.put(state.leadId, state);
  }
}

/** A sale converts the lead (and its open referral); a later cancellation may claw back. */
export function onOutcome(p: LeadRewardPorts, outcome: LeadOutcomeEvent): void {
  if (outcome.status === 'sold') {
    const state = load(p, outcome.leadId);
    if (state.sold) return;
    state.sold = {
      at: outcome.at,
      agentId: outcome.agentId,
      premiumCents: Math.max(0, Math.round((outcome.premiumUsd ?? 0) * 100)),
    };
    if (outcome.agentId !== null) {
      p.emitActivity({
        activityId: `outcome:${outcome.eventId}`,
        kind: 'lead_converted',
        accountId: outcome.agentId,
        leadId: outcome.leadId,
        at: outcome.at,
        responseMs: null,
        premiumCents: state.sold.premiumCents,
        soldAt: outcome.at,
        plan: null,
      });
    }
    advanceReferral(p, state, outcome.at);
    p.leads.put(state.leadId, state);
  } else if (outcome.status === 'cancelled') {
    const state = p.leads.get(outcome.leadId);
    if (!state?.sold || state.cancelled) return;
    state.cancelled = true;
    if (state.referral?.status === 'converted') {
      p.emitActivity({
        activityId: `referral:${state.leadId}:cancelled`,
        kind: 'referral_cancelled',
        accountId: state.referral.partnerId,
        leadId: state.leadId,
        at: outcome.at,
        responseMs: null,
        premiumCents: state.sold.premiumCents,
        soldAt: state.sold.at,
        plan: state.referral.plan,
      });
    }
    p.leads.put(state.leadId, state);
  }
}

/** Expires the referrals whose deadline stream time has passed. */
export function expireDue(p: LeadRewardPorts): void {
  for (const item of p.agenda.takeDue()) {
    const leadId = item.slice('expire:'.length);
    const state = p.leads.get(leadId);
    if (!state?.referral || !OPEN.has(state.referral.status)) continue;
    step(p, state, 'expired', state.referral.expiresAt, {
      reason: `not converted within ${p.config.referral.expiryDays} days`,
    });
    p.leads.put(leadId, state);
  }
}
