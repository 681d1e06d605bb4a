/**
 * The assign stage's logic: a state machine per lead (offer -> accept / decline / lapse -> next
 * candidate -> escalation) over the ledgers of one routing group's agents.
 *
 * It runs against ports rather than a runtime, so the processor (task stores, timers, topics) and
 * the simulation (maps, an event queue) drive exactly the same decisions. Every change to the
 * state is written back with `put`; objects read with `get` may be copies.
 *
 * Capacity is exact because (a) a group's ledgers live in one task and every decision that touches
 * them is a step of that task, committed with its outputs; (b) an open offer holds a place against
 * every cap (daily, concurrent, and the weekly and monthly caps of the economics file); (c) a lead
 * already in state is never offered again, so a replayed leads.matched record or response changes
 * nothing (match routes a lead to a group once; only a later routing of a lead
 * known here as unroutable takes its state over); (d) a ledger's counts move only with a transition
 * of one lead's own state (an offer opened or closed, an accepted lead taken up or released), which
 * happens once.
 */
import { checkEligibility } from '../match/eligibility';
import { localDay, localPeriods } from '../match/hours';
import { agentPeriodRoom } from '../ledger/caps';
import type { Agent, AgentPerformance, Candidate, LeadMatched } from '../../schemas/routing-records';
import {
  type Escalation,
  type GroupSettings,
  type RoutingConfig,
  settingsFor,
} from '../match/routing-config';
import { capacityLeft, newLedger, performanceOf } from './ledger';
import {
  type AgentLedger,
  type AgentResponse,
  type AssignmentEvent,
  FINAL_OUTCOMES,
  type LeadAssignment,
  type Offer,
  OUTCOMES,
  RESPONSES,
  type Rung,
} from '../../schemas/assignment-records';
import { choose, type Contender } from './strategies';
import { decideReturn, isReturnReason } from './returns';
import { priceCharged, type EconomicsConfig } from '../ledger/economics';

export interface Table<V> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  delete(key: string): void;
}

export interface AssignPorts {
  now: number;
  config: RoutingConfig;
  economics: EconomicsConfig;
  leads: Table<LeadAssignment>;
  ledgers: Table<AgentLedger>;
  /** Current agent profiles. */
  agent(agentId: string): Agent | undefined;
  agents(): Iterable<Agent>;
  emit(event: AssignmentEvent): void;
  publish(performance: AgentPerformance): void;
  schedule(at: number, key: string): void;
  cancel(key: string): void;
}

/**
 * A response assign cannot apply: an unknown lead, offer or agent, or an unknown answer. Bad
 * input: the processor lets it go to the dead letter topic with this message.
 */
export class InvalidResponseError extends Error {
  override name = 'InvalidResponseError';
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

type TimerKind = 'expire' | 'stale' | 'retry' | 'release' | 'purge';
const timerKey = (kind: TimerKind, leadId: string) => `${kind}:${leadId}`;

function parseTimerKey(key: string): { kind: TimerKind; leadId: string } {
  const colon = key.indexOf(':');
  return { kind: key.slice(0, colon) as TimerKind, leadId: key.slice(colon + 1) };
}

// Records and state written before generations existed are a lead's first routing.
const generationOf = (routing: { generation?: number }) => routing.generation ?? 1;

/**
 * `leadId:n` for a lead's first routing, as it always was; a later routing (of a lead that was
 * unroutable) numbers its events under its generation, as its first events may sit in another
 * task and the two counts would otherwise repeat each other's ids.
 */
function eventIdOf(state: LeadAssignment): string {
  const generation = generationOf(state);
  return generation === 1
    ? `${state.leadId}:${state.events}`
    : `${state.leadId}:g${generation}:${state.events}`;
}

function settingsOf(p: AssignPorts, state: LeadAssignment): GroupSettings {
  return state.group === null ? p.config.defaults : settingsFor(p.config, state.group);
}

function emit(
  p: AssignPorts,
  state: LeadAssignment,
  type: AssignmentEvent['type'],
  fields: Partial<AssignmentEvent> = {},
) {
  state.events += 1;
  p.emit({
    eventId: eventIdOf(state),
    leadId: state.leadId,
    type,
    routingGroup: state.group,
    agentId: null,
    offerId: null,
    attempt: state.offers.length,
    strategy: state.strategy,
    at: p.now,
    matchedAt: state.matchedAt,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome: null,
    premiumUsd: null,
    rankScore: null,
    lead: state.lead,
    priceChargedCents: state.charge?.cents ?? null,
    priceChargedRule: state.charge?.rule ?? null,
    ...fields,
  });
}

function ledgerOf(p: AssignPorts, agentId: string, group: string): AgentLedger {
  return p.ledgers.get(agentId) ?? newLedger(agentId, group);
}

function saveLedger(p: AssignPorts, ledger: AgentLedger): void {
  p.ledgers.put(ledger.agentId, ledger);
  const agent = p.agent(ledger.agentId);
  if (agent) p.publish(performanceOf(ledger, agent, p.now));
}

// ---------------------------------------------------------------------------------------------
// Inputs

export type MatchedResult = 'handled' | 'duplicate' | 'too_old';

/**
 * A leads.matched record: start offering, or record the lead as unroutable. A later generation
 * of a lead this task only knows as unroutable takes its state over; any other record of a lead
 * in state is a duplicate.
 */
export function onMatched(p: AssignPorts, matched: LeadMatched): MatchedResult {
  const known = p.leads.get(matched.leadId);
  const routedAgain =
    known !== undefined && known.status === 'unroutable' && generationOf(matched) > generationOf(known);
  if (known && !routedAgain) return 'duplicate';
  // A record older than the state kept for finished leads may be one whose state was purged.
  if (matched.matchedAt < p.now - p.config.retentionDays * DAY_MS) return 'too_old';
  if (routedAgain) p.cancel(timerKey('purge', matched.leadId));
  const group = matched.routingGroup;
  const settings = group === null ? p.config.defaults : settingsFor(p.config, group);
  const state: LeadAssignment = {
    leadId: matched.leadId,
    generation: generationOf(matched),
    group,
    lead: matched.lead,
    matchedAt: matched.matchedAt,
    strategy: group === null ? null : settings.strategy,
    candidates: matched.candidates,
    reserve: matched.reserve,
    rung: 'primary',
    offers: [],
    status: 'offering',
    staleAt: null,
    events: 0,
    agentId: null,
    outcomes: [],
  };
  if (matched.outcome === 'unroutable' || group === null) {
    state.status = 'unroutable';
    const why = matched.unroutable;
    emit(p, state, 'unroutable', { reason: why ? `${why.code}: ${why.message}` : 'no candidates' });
    finish(p, state);
    p.leads.put(state.leadId, state);
    return 'handled';
  }
  startStaleClock(p, state);
  advance(p, state);
  p.leads.put(state.leadId, state);
  return 'handled';
}

export type ResponseResult = 'applied' | 'duplicate' | 'late';

/**
 * An agent's accept, decline, outcome or return, or a review of a return. Answers to offers that
 * are no longer open are answered with a response_rejected event; a repeated answer changes
 * nothing. A response naming an unknown lead, offer or agent, or giving an unknown answer, throws
 * InvalidResponseError.
 */
export function onResponse(p: AssignPorts, response: AgentResponse): ResponseResult {
  if (!RESPONSES.includes(response.response)) {
    throw new InvalidResponseError(
      `response must be one of ${RESPONSES.join(', ')}, got "${response.response}"`,
    );
  }
  if (response.outcome !== null && !OUTCOMES.includes(response.outcome)) {
    throw new InvalidResponseError(
      `outcome must be one of ${OUTCOMES.join(', ')}, got "${response.outcome}"`,
    );
  }
  const state = p.leads.get(response.leadId);
  if (!state)
    throw new InvalidResponseError(`no lead ${response.leadId} in routing group ${response.routingGroup}`);
  if (response.response === 'outcome') return onOutcome(p, state, response);
  if (response.response === 'return') return onReturn(p, state, response);
  if (response.response === 'approve_return' || response.response === 'deny_return') {
    return onReturnReview(p, state, response);
  }
  const offer = state.offers.find((o) => o.offerId === response.offerId);
  if (!offer) throw new InvalidResponseError(`lead ${response.leadId} has no offer ${response.offerId}`);
  if (offer.agentId !== response.agentId) {
    throw new InvalidResponseError(`offer ${response.offerId} was not made to agent ${response.agentId}`);
  }
  const answer = response.response === 'accept' ? 'accepted' : 'declined';
  if (offer.status === answer) return 'duplicate';
  if (offer.status !== 'open') {
    emit(p, state, 'response_rejected', {
      agentId: offer.agentId,
      offerId: offer.offerId,
      reason: `offer_${offer.status}`,
    });
    p.leads.put(state.leadId, state);
    return 'late';
  }
  if (answer === 'accepted') accept(p, state, offer);
  else decline(p, state, offer, response.reason);
  p.leads.put(state.leadId, state);
  return 'applied';
}

function onOutcome(p: AssignPorts, state: LeadAssignment, response: AgentResponse): ResponseResult {
  const outcome = response.outcome;
  if (outcome === null)
    throw new InvalidResponseError(`outcome response ${response.responseId} has no outcome`);
  if (state.agentId !== response.agentId) {
    throw new InvalidResponseError(`lead ${state.leadId} is not assigned to agent ${response.agentId}`);
  }
  if (state.outcomes.includes(outcome)) return 'duplicate';
  if (state.status === 'completed') {
    emit(p, state, 'response_rejected', { agentId: response.agentId, outcome, reason: 'lead_completed' });
    p.leads.put(state.leadId, state);
    return 'late';
  }
  state.outcomes.push(outcome);
  const ledger = ledgerOf(p, response.agentId, state.group!);
  // Any report means the agent has taken the lead up: it stops holding a place.
  if (state.status === 'accepted') {
    ledger.active -= 1;
    p.cancel(timerKey('release', state.leadId));
    state.status = 'released';
  }
  const final = FINAL_OUTCOMES.has(outcome);
  if (outcome === 'sold') ledger.sold += 1;
  if (outcome === 'lost') ledger.lost += 1;
  saveLedger(p, ledger);
  emit(p, state, final ? 'completed' : 'progressed', {
    agentId: response.agentId,
    outcome,
    premiumUsd: outcome === 'sold' ? (response.premiumUsd ?? null) : null,
  });
  if (final) {
    state.status = 'completed';
    finish(p, state);
  }
  p.leads.put(state.leadId, state);
  return 'applied';
}

/**
 * An agent gives back a lead it took. The decision (returns.ts) is made once, here, with the
 * agent's ledger as it stands in this task, so the return rate it checks is exact; an approval
 * frees the agent's place and closes the lead, and its event carries both prices for the ledger.
 */
function onReturn(p: AssignPorts, state: LeadAssignment, response: AgentResponse): ResponseResult {
  const accepted = state.offers.find((o) => o.status === 'accepted');
  if (!accepted || state.agentId !== response.agentId) {
    throw new InvalidResponseError(`lead ${state.leadId} is not assigned to agent ${response.agentId}`);
  }
  if (state.returned) return 'duplicate';
  const reason = response.reason ?? '';
  const ledger = ledgerOf(p, response.agentId, state.group!);
  const decision = decideReturn(p.economics.returns, {
    reason,
    acceptedAt: accepted.respondedAt ?? state.matchedAt,
    now: p.now,
    outcomes: state.outcomes,
    agentAccepted: ledger.accepted,
    agentReturned: ledger.returned ?? 0,
  });
  const fields = {
    agentId: response.agentId,
    offerId: accepted.offerId,
    returnReason: reason,
    reason: decision.why,
  };
  if (decision.status === 'denied' || !isReturnReason(reason)) {
    emit(p, state, 'return_denied', fields);
    p.leads.put(state.leadId, state);
    return 'applied';
  }
  state.returned = { reason, requestedAt: p.now, status: decision.status };
  if (decision.status === 'approved') approveReturn(p, state, fields);
  else emit(p, state, 'return_pending', fields);
  p.leads.put(state.leadId, state);
  return 'applied';
}

/** A person's decision on a return waiting for review. */
function onReturnReview(p: AssignPorts, state: LeadAssignment, response: AgentResponse): ResponseResult {
  const pending = state.returned;
  if (pending?.status !== 'pending') {
    if (pending && (pending.status === 'approved') === (response.response === 'approve_return')) {
      return 'duplicate';
    }
    emit(p, state, 'response_rejected', {
      agentId: state.agentId,
      reason: pending ? `return_${pending.status}` : 'no_return_requested',
    });
    p.leads.put(state.leadId, state);
    return 'late';
  }
  const fields = {
    agentId: state.agentId,
    returnReason: pending.reason,
    reason: `reviewed_by:${response.decidedBy ?? 'unknown'}`,
  };
  // A sale reported while the return waited proves the lead good, whatever the reviewer says.
  if (response.response === 'approve_return' && state.outcomes.includes('sold')) {
    pending.status = 'denied';
    emit(p, state, 'return_denied', { ...fields, reason: 'lead_sold' });
  } else if (response.response === 'approve_return') {
    pending.status = 'approved';
    approveReturn(p, state, fields);
  } else {
    pending.status = 'denied';
    emit(p, state, 'return_denied', fields);
  }
  p.leads.put(state.leadId, state);
  return 'applied';
}

function approveReturn(p: AssignPorts, state: LeadAssignment, fields: Partial<AssignmentEvent>): void {
  const ledger = ledgerOf(p, state.agentId!, state.group!);
  ledger.returned = (ledger.returned ?? 0) + 1;
  // A lead returned while the agent still holds it stops holding the place.
  if (state.status === 'accepted') ledger.active -= 1;
  saveLedger(p, ledger);
  emit(p, state, 'return_approved', fields);
  state.status = 'completed';
  finish(p, state);
}

/** A timer set by this module came due. */
export function onTimer(p: AssignPorts, key: string): void {
  const { kind, leadId } = parseTimerKey(key);
  if (kind === 'purge') {
    p.leads.delete(leadId);
    return;
  }
  const state = p.leads.get(leadId);
  if (!state) return;
  const open = state.offers.find((o) => o.status === 'open');
  switch (kind) {
    case 'expire':
      if (!open || open.expiresAt > p.now) return;
      closeOffer(p, state, open, 'expired');
      emit(p, state, 'expired', { agentId: open.agentId, offerId: open.offerId });
      advance(p, state);
      break;
    case 'stale':
      if (state.status !== 'offering' && state.status !== 'waiting') return;
      if (open) {
        closeOffer(p, state, open, 'withdrawn');
        emit(p, state, 'withdrawn', { agentId: open.agentId, offerId: open.offerId, reason: 'stale' });
      }
      if (escalate(p, state, 'stale')) advance(p, state);
      break;
    case 'retry':
      if (state.status !== 'waiting') return;
      advance(p, state);
      break;
    case 'release': {
      if (state.status !== 'accepted' || state.agentId === null) return;
      const ledger = ledgerOf(p, state.agentId, state.group!);
      ledger.active -= 1;
      saveLedger(p, ledger);
      state.status = 'released';
      emit(p, state, 'released', { agentId: state.agentId, reason: 'work_window_elapsed' });
      finish(p, state);
      break;
    }
  }
  p.leads.put(leadId, state);
}

// ---------------------------------------------------------------------------------------------
// Transitions

function accept(p: AssignPorts, state: LeadAssignment, offer: Offer): void {
  offer.status = 'accepted';
  offer.respondedAt = p.now;
  const agent = p.agent(offer.agentId);
  const ledger = ledgerOf(p, offer.agentId, state.group!);
  ledger.open -= 1;
  ledger.active += 1;
  const today = agent ? localDay(p.now, agent.workingHours.timeZone) : ledger.day;
  if (ledger.day !== today) {
    ledger.day = today;
    ledger.acceptedOnDay = 0;
  }
  ledger.acceptedOnDay += 1;
  if (agent) {
    const { week, month } = localPeriods(p.now, agent.workingHours.timeZone);
    ledger.acceptedInWeek = (ledger.week === week ? (ledger.acceptedInWeek ?? 0) : 0) + 1;
    ledger.acceptedInMonth = (ledger.month === month ? (ledger.acceptedInMonth ?? 0) : 0) + 1;
    ledger.week = week;
    ledger.month = month;
  }
  ledger.accepted += 1;
  ledger.answered += 1;
  ledger.answerMsTotal += p.now - offer.offeredAt;
  saveLedger(p, ledger);
  state.status = 'accepted';
  state.agentId = offer.agentId;
  // Priced at the acceptance, by the agent's plan and VIP tier as they are then.
  state.charge = priceCharged(p.economics, {
    agentId: offer.agentId,
    routingGroup: state.group,
    vipTier: agent?.vipTier ?? null,
    score: state.lead.score,
  });
  for (const kind of ['expire', 'stale', 'retry'] as const) p.cancel(timerKey(kind, state.leadId));
  p.schedule(p.now + settingsOf(p, state).workWindowMinutes * MINUTE_MS, timerKey('release', state.leadId));
  emit(p, state, 'accepted', { agentId: offer.agentId, offerId: offer.offerId });
}

function decline(p: AssignPorts, state: LeadAssignment, offer: Offer, reason: string | null): void {
  offer.respondedAt = p.now;
  closeOffer(p, state, offer, 'declined');
  emit(p, state, 'declined', { agentId: offer.agentId, offerId: offer.offerId, reason });
  advance(p, state);
}

/** Ends an open offer without a taker and frees the agent's place. */
function closeOffer(
  p: AssignPorts,
  state: LeadAssignment,
  offer: Offer,
  status: 'declined' | 'expired' | 'withdrawn',
) {
  offer.status = status;
  const ledger = ledgerOf(p, offer.agentId, state.group!);
  ledger.open -= 1;
  if (status === 'declined') {
    ledger.declined += 1;
    ledger.answered += 1;
    ledger.answerMsTotal += p.now - offer.offeredAt;
  } else if (status === 'expired') {
    ledger.expired += 1;
  }
  saveLedger(p, ledger);
  p.cancel(timerKey('expire', state.leadId));
}

/** The agents the current rung offers from, not offered this lead yet. */
function untried(p: AssignPorts, state: LeadAssignment, rung: Rung): Candidate[] {
  const tried = new Set(state.offers.map((o) => o.agentId));
  const pool =
    rung === 'primary'
      ? state.candidates
      : rung === 'wider_radius'
        ? state.reserve
        : groupLeads(p, state).map((agentId) => ({
            agentId,
            rank: Number.MAX_SAFE_INTEGER,
            score: 0,
            distanceKm: null,
            availableAt: p.now,
            factors: [],
          }));
  return pool.filter((c) => !tried.has(c.agentId));
}

function groupLeads(p: AssignPorts, state: LeadAssignment): string[] {
  const leads: string[] = [];
  for (const agent of p.agents()) {
    if (agent.routingGroup === state.group && agent.groupLead) leads.push(agent.agentId);
  }
  return leads.sort();
}

/** Offers the agent can still take this local week and month under its caps (economics file). */
function periodRoom(p: AssignPorts, ledger: AgentLedger, agent: Agent): number {
  const { week, month } = localPeriods(p.now, agent.workingHours.timeZone);
  return agentPeriodRoom(p.economics, agent, {
    weekly: ledger.week === week ? (ledger.acceptedInWeek ?? 0) : 0,
    monthly: ledger.month === month ? (ledger.acceptedInMonth ?? 0) : 0,
    open: ledger.open,
  });
}

/**
 * Offers the lead to the next agent the strategy picks among the ready ones; waits when the
 * remaining candidates are busy or off shift; escalates when none are left.
 */
function advance(p: AssignPorts, state: LeadAssignment): void {
  const settings = settingsOf(p, state);
  for (;;) {
    const contenders: (Contender & { candidate: Candidate })[] = [];
    let wakeAt = Infinity;
    let busy = false;
    for (const candidate of untried(p, state, state.rung)) {
      const agent = p.agent(candidate.agentId);
      // An agent moved to another group has its capacity counted there now.
      if (!agent || agent.routingGroup !== state.group) continue;
      const eligibility = checkEligibility(agent, state.lead, p.now);
      if (!eligibility.eligible) continue;
      if (!eligibility.inHours) {
        wakeAt = Math.min(wakeAt, eligibility.availableAt);
        continue;
      }
      const ledger = ledgerOf(p, agent.agentId, state.group);
      if (Math.min(capacityLeft(ledger, agent, p.now), periodRoom(p, ledger, agent)) <= 0) {
        busy = true;
        wakeAt = Math.min(wakeAt, p.now + settings.capacityRetrySeconds * 1000);
        continue;
      }
      contenders.push({
        agentId: agent.agentId,
        rank: candidate.rank,
        weight: Math.max(1, agent.weight),
        dailyCapacity: Math.max(1, agent.capacity.daily),
        ledger,
        candidate,
      });
    }
    if (contenders.length > 0) {
      makeOffer(p, state, settings, contenders);
      return;
    }
    if (wakeAt !== Infinity) {
      wait(p, state, wakeAt, busy ? 'candidates_at_capacity' : 'candidates_off_shift');
      return;
    }
    if (!escalate(p, state, 'candidates_exhausted')) return;
  }
}

function makeOffer(
  p: AssignPorts,
  state: LeadAssignment,
  settings: GroupSettings,
  contenders: (Contender & { candidate: Candidate })[],
): void {
  const choice = choose(settings.strategy, contenders);
  for (const ledger of choice.ledgers) p.ledgers.put(ledger.agentId, ledger);
  const chosen = contenders.find((c) => c.agentId === choice.agentId)!;
  const ledger = ledgerOf(p, chosen.agentId, state.group!);
  ledger.open += 1;
  ledger.offers += 1;
  saveLedger(p, ledger);
  const attempt = state.offers.length + 1;
  const offer: Offer = {
    offerId: `${state.leadId}:${attempt}`,
    agentId: chosen.agentId,
    attempt,
    rung: state.rung,
    offeredAt: p.now,
    expiresAt: p.now + settings.offerTimeoutSeconds * 1000,
    status: 'open',
    respondedAt: null,
  };
  state.offers.push(offer);
  state.status = 'offering';
  p.cancel(timerKey('retry', state.leadId));
  p.schedule(offer.expiresAt, timerKey('expire', state.leadId));
  emit(p, state, attempt === 1 ? 'offered' : 'reoffered', {
    agentId: offer.agentId,
    offerId: offer.offerId,
    expiresAt: offer.expiresAt,
    rankScore: chosen.candidate.score,
  });
}

function wait(p: AssignPorts, state: LeadAssignment, until: number, reason: string): void {
  if (state.status !== 'waiting') {
    state.status = 'waiting';
    emit(p, state, 'waiting', { reason });
  }
  p.schedule(until, timerKey('retry', state.leadId));
}

/**
 * Each rung gets staleAfterMinutes from when one of its agents could first take the lead: a lead
 * that arrives at night for agents who queue leads until morning is not stale at 9:01.
 */
function startStaleClock(p: AssignPorts, state: LeadAssignment): void {
  let first = Infinity;
  for (const candidate of untried(p, state, state.rung)) {
    const agent = p.agent(candidate.agentId);
    const eligibility = agent ? checkEligibility(agent, state.lead, p.now) : null;
    if (eligibility?.eligible) first = Math.min(first, eligibility.availableAt);
  }
  state.staleAt =
    (first === Infinity ? p.now : Math.max(p.now, first)) +
    settingsOf(p, state).staleAfterMinutes * MINUTE_MS;
  p.schedule(state.staleAt, timerKey('stale', state.leadId));
}

/**
 * Moves to the next rung of the ladder that has someone to offer to, with a fresh stale timer;
 * true if offering goes on. The manual queue ends the ladder whether configured or not: a lead is
 * never dropped.
 */
function escalate(p: AssignPorts, state: LeadAssignment, reason: string): boolean {
  const { escalation: ladder } = settingsOf(p, state);
  const from = state.rung === 'primary' ? -1 : ladder.indexOf(state.rung as Escalation);
  for (const rung of ladder.slice(from + 1)) {
    if (rung === 'manual_queue') break;
    if (untried(p, state, rung).length === 0) continue;
    state.rung = rung;
    startStaleClock(p, state);
    emit(p, state, 'escalated', { escalation: rung, reason });
    return true;
  }
  toManualQueue(p, state, reason);
  return false;
}

function toManualQueue(p: AssignPorts, state: LeadAssignment, reason: string): void {
  state.status = 'escalated';
  emit(p, state, 'escalated', { escalation: 'manual_queue', reason });
  finish(p, state);
}

/** A lead that needs nothing more: its candidate lists go, and the rest is kept to spot replays. */
function finish(p: AssignPorts, state: LeadAssignment): void {
  state.candidates = [];
  state.reserve = [];
  for (const kind of ['expire', 'stale', 'retry', 'release'] as const) p.cancel(timerKey(kind, state.leadId));
  p.schedule(p.now + p.config.retentionDays * DAY_MS, timerKey('purge', state.leadId));
}
