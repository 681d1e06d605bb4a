/**
 * Simulated agents for benchmarks and end-to-end tests: agent profiles that can take any lead,
 * and a responder that follows `assignments` and answers offers on `agent.responses` the way
 * agents do through the app (accept or decline an offer, then report how the lead ended, and
 * return some of the leads they lost).
 */
import { createHash } from 'node:crypto';
import type { AgentResponse, AssignmentEvent } from '../schemas/assignment-records';
import type { Agent } from '../schemas/routing-records';
import { testAgent } from '../tools/routing-fixtures';
import type { RecordCodec } from '../runtime/codec';
import type { OutgoingRecord } from '../runtime/records';
import type { Transport } from '../runtime/transport';
import { INSURANCE_LINES } from '../schemas/lead';
import { US_STATES } from '../schemas/us-states';
import { TOPIC } from '../topics/platform';

/** Licensed everywhere for every line, working around the clock, with room for every lead. */
export function anywhereAgent(agentId: string, routingGroup: string): Agent {
  return testAgent({
    agentId,
    routingGroup,
    licences: Object.fromEntries(INSURANCE_LINES.map((line) => [line, US_STATES.map((s) => s.code)])),
    location: null,
    capacity: { daily: 1_000_000, concurrent: 1_000_000 },
    workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    queueOutsideHours: true,
  });
}

/** `count` agents spread over two routing groups. */
export function anywhereAgents(count: number): Agent[] {
  return Array.from({ length: count }, (_, i) =>
    anywhereAgent(`agent-${i + 1}`, i % 2 === 0 ? 'west' : 'east'),
  );
}

/** A stable 0..1 draw per key, so runs are repeatable. */
export const draw = (key: string) => createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;

export interface AgentBehaviour {
  /** Share of offers accepted; the rest are declined (and offered to the next agent). */
  acceptShare: number;
  /** Share of accepted leads reported sold; the rest are reported lost. */
  soldShare: number;
  /**
   * Share of lost leads then returned: two in three for a bad phone (approved at once under the
   * default policy), the rest for no consent (left for review).
   */
  returnShare: number;
}

export const DEFAULT_BEHAVIOUR: AgentBehaviour = { acceptShare: 0.8, soldShare: 0.35, returnShare: 0.15 };

export interface SimulatedAgents {
  /** Offers accepted, outcomes reported and answers of any kind sent so far. */
  counts: { accepted: number; outcomes: number; answers: number };
  stop(): Promise<void>;
}

/**
 * Answers every offer once (accept or decline, drawn from the offer id) and reports an outcome
 * for every accepted lead (sold or lost, drawn from the lead id). `onEvent` sees every
 * assignment event, e.g. to time when leads were assigned.
 */
export function simulateAgents(options: {
  transport: Transport;
  codec: RecordCodec;
  behaviour?: AgentBehaviour;
  onEvent?: (event: AssignmentEvent) => void;
}): SimulatedAgents {
  const { transport, codec, onEvent } = options;
  const behaviour = options.behaviour ?? DEFAULT_BEHAVIOUR;
  const counts = { accepted: 0, outcomes: 0, answers: 0 };
  const answered = new Set<string>();
  const follower = transport.follow(TOPIC.assignments, async (records) => {
    const out: OutgoingRecord[] = [];
    for (const raw of records) {
      const event = (await codec.decode<AssignmentEvent>(raw)).value;
      onEvent?.(event);
      if (!event.offerId || !event.agentId || !event.routingGroup) continue;
      const respond = (
        response: AgentResponse['response'],
        outcome: AgentResponse['outcome'] = null,
        extra: Partial<AgentResponse> = {},
      ) => {
        const answer: AgentResponse = {
          responseId: `${event.offerId}/${response}`,
          routingGroup: event.routingGroup!,
          leadId: event.leadId,
          offerId: event.offerId!,
          agentId: event.agentId!,
          response,
          outcome,
          reason: null,
          respondedAt: Date.now(),
          channel: 'simulated',
          ...extra,
        };
        out.push(codec.encode(TOPIC.agentResponses, answer.routingGroup, answer));
        counts.answers++;
      };
      if ((event.type === 'offered' || event.type === 'reoffered') && !answered.has(event.offerId)) {
        answered.add(event.offerId);
        respond(draw(event.offerId) < behaviour.acceptShare ? 'accept' : 'decline');
      } else if (event.type === 'accepted') {
        counts.accepted++;
        // Agents report outcomes to assign, which publishes them on lead.outcomes.
        const sold = draw(event.leadId) < behaviour.soldShare;
        respond('outcome', sold ? 'sold' : 'lost', {
          premiumUsd: sold ? 900 + Math.round(draw(`${event.leadId}/premium`) * 1200) : null,
        });
        counts.outcomes++;
        const returned = draw(`${event.leadId}/return`);
        if (!sold && returned < behaviour.returnShare) {
          respond('return', null, {
            reason: returned < (behaviour.returnShare * 2) / 3 ? 'bad_phone' : 'no_consent',
          });
        }
      }
    }
    if (out.length > 0) await transport.produce(out);
  });
  return { counts, stop: () => follower.stop() };
}
