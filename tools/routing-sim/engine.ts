/**
 * A discrete-event simulation of routing: simulated time jumps from one event to the next (a lead
 * arriving, an agent answering, a timer coming due, a sale closing), so 50,000 leads with
 * minutes-long answer times run in seconds. It drives the very functions the processors run:
 * matchLead for each arrival, and assign's onMatched / onResponse / onTimer over the same
 * state shapes, with maps for stores and a priority queue for timers.
 */
import { DEFAULT_ECONOMICS_CONFIG } from '../../processors/ledger/economics';
import { createRng, type Rng } from '../../models/prng';
import { matchLead } from '../../processors/match/match';
import type { AgentPerformance } from '../../schemas/routing-records';
import type { RoutingConfig } from '../../processors/match/routing-config';
import {
  type AssignPorts,
  InvalidResponseError,
  onMatched,
  onResponse,
  onTimer,
  type Table,
} from '../../processors/assign/assign';
import type {
  AgentLedger,
  AgentResponse,
  AssignmentEvent,
  LeadAssignment,
} from '../../schemas/assignment-records';
import type { SimulatedAgents } from './agents';
import type { SimulatedLead } from './leads';

type SimEvent =
  | { kind: 'arrival'; lead: SimulatedLead }
  | { kind: 'timer'; key: string; token: number }
  | { kind: 'response'; response: AgentResponse };

interface Queued {
  at: number;
  seq: number;
  event: SimEvent;
}

/** A binary min-heap on (at, seq): equal times run in the order they were queued. */
class EventQueue {
  private readonly heap: Queued[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, event: SimEvent): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): Queued | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

const before = (a: Queued, b: Queued) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export interface SimulationRun {
  events: AssignmentEvent[];
  /** Responses assign refused as invalid (should stay 0). */
  invalidResponses: number;
  /**
   * Places still held in agents' ledgers (open offers and accepted leads, summed as absolute
   * values) once every lead has run its course: 0 unless a transition moved a count twice or never.
   */
  placesLeftAtEnd: number;
  startedAt: number;
  /** Time of the last assignment event (later timers only purge old state). */
  lastEventAt: number;
}

const MINUTE_MS = 60_000;

function mapTable<V>(map: Map<string, V>): Table<V> {
  return {
    get: (key) => map.get(key),
    put: (key, value) => map.set(key, value),
    delete: (key) => map.delete(key),
  };
}

export function runSimulation(input: {
  agents: SimulatedAgents;
  leads: readonly SimulatedLead[];
  config: RoutingConfig;
  seed: string;
}): SimulationRun {
  const { agents, config } = input;
  const rng: Rng = createRng(`routing-sim-behaviour/${input.seed}`);
  const profiles = new Map(input.agents.agents.map((a) => [a.agentId, a]));
  const propensity = new Map(input.leads.map((l) => [l.lead.leadId, l.propensity]));
  const leads = new Map<string, LeadAssignment>();
  const ledgers = new Map<string, AgentLedger>();
  const performance = new Map<string, AgentPerformance>();
  const timers = new Map<string, number>();
  const events: AssignmentEvent[] = [];
  const queue = new EventQueue();
  let invalidResponses = 0;
  let nextToken = 0;
  let responses = 0;

  for (const lead of input.leads) queue.push(lead.arrivesAt, { kind: 'arrival', lead });
  const startedAt = input.leads[0]?.arrivesAt ?? 0;

  const respond = (
    event: AssignmentEvent,
    at: number,
    response: AgentResponse['response'],
    outcome: AgentResponse['outcome'] = null,
  ) =>
    queue.push(at, {
      kind: 'response',
      response: {
        responseId: `r${++responses}`,
        routingGroup: event.routingGroup!,
        leadId: event.leadId,
        offerId: event.offerId ?? '',
        agentId: event.agentId!,
        response,
        outcome,
        reason: null,
        respondedAt: at,
        channel: 'simulation',
      },
    });

  /** What the agent does about an event: answer an offer, or contact an accepted lead and close it. */
  function react(event: AssignmentEvent, now: number): void {
    const behaviour = event.agentId ? agents.behaviour.get(event.agentId) : undefined;
    if (!behaviour) return;
    if (event.type === 'offered' || event.type === 'reoffered') {
      if (rng.bool(behaviour.ignoreProbability)) return;
      const delay = behaviour.medianResponseSeconds * 1000 * Math.exp(0.7 * rng.normal());
      const keen = Math.min(0.99, behaviour.acceptProbability * (0.85 + 0.3 * (event.lead.score / 100)));
      respond(event, now + Math.round(delay), rng.bool(keen) ? 'accept' : 'decline');
    } else if (event.type === 'accepted') {
      // First contact within minutes; whether it sells is known hours later.
      const contactMs = 12 * MINUTE_MS * Math.exp(0.6 * rng.normal());
      const closeMs = contactMs + 6 * 60 * MINUTE_MS * Math.exp(0.8 * rng.normal());
      const sold = rng.bool(Math.min(0.95, (propensity.get(event.leadId) ?? 0.1) * behaviour.skill));
      respond(event, now + Math.round(contactMs), 'outcome', 'contacted');
      respond(event, now + Math.round(closeMs), 'outcome', sold ? 'sold' : 'lost');
    }
  }

  // One ports object for the whole run; only its clock moves.
  const ports: AssignPorts = {
    now: startedAt,
    config,
    economics: DEFAULT_ECONOMICS_CONFIG,
    leads: mapTable(leads),
    ledgers: mapTable(ledgers),
    agent: (agentId) => profiles.get(agentId),
    agents: () => profiles.values(),
    emit: (event) => {
      events.push(event);
      react(event, ports.now);
    },
    publish: (record) => performance.set(record.agentId, record),
    schedule: (at, key) => {
      const token = ++nextToken;
      timers.set(key, token);
      queue.push(at, { kind: 'timer', key, token });
    },
    cancel: (key) => timers.delete(key),
  };

  const tables = {
    agents: () => profiles.values(),
    performance: (agentId: string) => performance.get(agentId),
    features: (agentId: string) => agents.features.get(agentId),
  };

  for (let item = queue.pop(); item; item = queue.pop()) {
    ports.now = item.at;
    const { event } = item;
    if (event.kind === 'arrival') {
      onMatched(ports, matchLead(event.lead.lead, tables, config, ports.now));
    } else if (event.kind === 'timer') {
      // A moved or cancelled timer leaves its old queue entry behind; only the latest counts.
      if (timers.get(event.key) !== event.token) continue;
      timers.delete(event.key);
      onTimer(ports, event.key);
    } else {
      try {
        onResponse(ports, event.response);
      } catch (error) {
        if (!(error instanceof InvalidResponseError)) throw error;
        invalidResponses++;
      }
    }
  }
  let placesLeftAtEnd = 0;
  for (const ledger of ledgers.values()) placesLeftAtEnd += Math.abs(ledger.open) + Math.abs(ledger.active);
  return {
    events,
    invalidResponses,
    placesLeftAtEnd,
    startedAt,
    lastEventAt: events.at(-1)?.at ?? startedAt,
  };
}
