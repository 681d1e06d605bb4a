/**
 * TypeScript shapes of assign's records: agent.responses (in), assignments (out), and the state it
 * keeps per lead and per agent. The topic records match `schemas/agent-response.avsc` and
 * `schemas/assignment-event.avsc` field for field.
 */
import type { Price } from './ledger-records';
import type { Candidate, RoutableLead, Strategy } from './routing-records';

export const RESPONSES = ['accept', 'decline', 'outcome', 'return', 'approve_return', 'deny_return'] as const;
export const OUTCOMES = ['contacted', 'quoted', 'sold', 'lost'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Why a taken lead may be given back: it was bad, not merely unsold. */
export const RETURN_REASONS = [
  'bad_phone',
  'disconnected',
  'wrong_person',
  'duplicate',
  'outside_area',
  'no_consent',
  'underage',
  'fraud',
  'other',
] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];
/** Outcomes that close a lead: the agent is done with it. */
export const FINAL_OUTCOMES: ReadonlySet<Outcome> = new Set(['sold', 'lost']);

/** Topic `agent.responses`, keyed by routing group. */
export interface AgentResponse {
  responseId: string;
  routingGroup: string;
  leadId: string;
  offerId: string;
  agentId: string;
  response: (typeof RESPONSES)[number];
  outcome: Outcome | null;
  reason: string | null;
  /** With a sold outcome: the policy's annual premium, USD (what percent commissions are paid on). */
  premiumUsd?: number | null;
  /** approve_return and deny_return: who reviewed the return (an admin token's subject). */
  decidedBy?: string | null;
  respondedAt: number;
  channel: string;
}

export const EVENT_TYPES = [
  'offered',
  'reoffered',
  'accepted',
  'declined',
  'expired',
  'withdrawn',
  'waiting',
  'escalated',
  'unroutable',
  'released',
  'progressed',
  'completed',
  'response_rejected',
  'return_approved',
  'return_pending',
  'return_denied',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Topic `assignments`, keyed by lead id. */
export interface AssignmentEvent {
  /**
   * leadId:n, n counting the lead's events (leadId:gG:n for the events of a later routing G of a
   * lead that was unroutable): stable across replays and never reused, so sinks can upsert by it.
   */
  eventId: string;
  leadId: string;
  type: EventType;
  routingGroup: string | null;
  agentId: string | null;
  offerId: string | null;
  attempt: number;
  strategy: Strategy | null;
  at: number;
  matchedAt: number;
  expiresAt: number | null;
  escalation: string | null;
  reason: string | null;
  outcome: Outcome | null;
  premiumUsd?: number | null;
  rankScore: number | null;
  lead: RoutableLead;
  /**
   * From the acceptance on, what the agent who took the lead is charged (processors/ledger/
   * pricing.ts); null before, or when no plan applies. Absent in records written before pricing.
   */
  priceChargedCents?: number | null;
  priceChargedRule?: string | null;
  /** return_*: why the agent gave the lead back (RETURN_REASONS); `reason` says why it was decided so. */
  returnReason?: string | null;
}

/** A lead's return, once asked for (assign's state). */
export interface LeadReturn {
  reason: ReturnReason;
  requestedAt: number;
  status: 'approved' | 'pending' | 'denied';
}

/** Which list of agents offers currently come from. */
export type Rung = 'primary' | 'wider_radius' | 'group_lead';

export interface Offer {
  offerId: string;
  agentId: string;
  attempt: number;
  rung: Rung;
  offeredAt: number;
  expiresAt: number;
  status: 'open' | 'accepted' | 'declined' | 'expired' | 'withdrawn';
  respondedAt: number | null;
}

export type LeadStatus =
  'offering' | 'waiting' | 'accepted' | 'released' | 'completed' | 'escalated' | 'unroutable';

/** Assign's state per lead (store `leads`). */
export interface LeadAssignment {
  leadId: string;
  /** The routing generation (LeadMatched.generation) this state follows; absent in older state: 1. */
  generation?: number;
  group: string | null;
  lead: RoutableLead;
  matchedAt: number;
  strategy: Strategy | null;
  candidates: Candidate[];
  reserve: Candidate[];
  rung: Rung;
  offers: Offer[];
  status: LeadStatus;
  /** When the lead escalates if nobody has accepted it. */
  staleAt: number | null;
  /** Events emitted so far (the n of the next eventId is events + 1). */
  events: number;
  /** The agent that accepted it. */
  agentId: string | null;
  outcomes: Outcome[];
  /** What the agent who accepted is charged; absent before pricing, and until an acceptance. */
  charge?: Price | null;
  /** The agent's return of the lead, if it asked for one. */
  returned?: LeadReturn | null;
}

/** Assign's state per agent (store `ledgers`): capacity use, strategy state and results. */
export interface AgentLedger {
  agentId: string;
  group: string;
  /** The agent's local date `acceptedOnDay` counts for. */
  day: string;
  acceptedOnDay: number;
  /**
   * Open offers to this agent. Counts, not lists of leads: a busy agent (a call centre taking
   * thousands of leads) would otherwise make every step copy and rewrite a list as long as its
   * queue. Each lead's own state says whether it holds one of these places, and only a change of
   * that state moves a count.
   */
  open: number;
  /** Accepted leads not yet taken up (until the first outcome report or the end of the work window). */
  active: number;
  /** Smooth weighted round-robin: the agent's current weight. */
  rrCurrent: number;
  /** Fair share: offers the agent was entitled to so far (its capacity share of each lead it could take). */
  entitled: number;
  offers: number;
  accepted: number;
  declined: number;
  expired: number;
  answered: number;
  answerMsTotal: number;
  sold: number;
  lost: number;
  /** Returns approved (absent in ledgers from before returns: 0); the return rate is returned / accepted. */
  returned?: number;
  /** The agent's local ISO week and month the counts below are for (absent before agent caps). */
  week?: string;
  acceptedInWeek?: number;
  month?: string;
  acceptedInMonth?: number;
}
