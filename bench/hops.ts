/**
 * Where a lead's time from ingress to the accepted offer goes, hop by hop. Every record's
 * timestamp is when the stage that wrote it processed the lead (the codec stamps it at encoding),
 * so the difference between a lead's record on one topic and on the next is the time the next
 * stage took to see it (the previous commit, the fetch) and process it.
 */
import type { AgentResponse, AssignmentEvent } from '../schemas/assignment-records';
import type { RawLead } from '../schemas/lead-records';
import type { RecordCodec } from '../runtime/codec';
import type { Transport } from '../runtime/transport';
import { TOPIC } from '../topics/platform';
import { percentile } from './measure';

export interface HopLatency {
  /** From where to where, e.g. `leads.valid > leads.matched`. */
  hop: string;
  /** Accepted leads that passed both ends of the hop. */
  leads: number;
  p50_ms: number;
  p99_ms: number;
}

const LEAD_TOPICS = [TOPIC.leadsByPhone, TOPIC.leadsByEmail, TOPIC.leadsValid, TOPIC.leadsMatched] as const;
/** The stops of an accepted lead, in order; `received` is the time ingress took the lead. */
const STOPS = ['received', TOPIC.leadsRaw, ...LEAD_TOPICS, 'offered', TOPIC.agentResponses, 'accepted'];

/** The hops of accepted leads received at or after `measuredFrom` (epoch ms; warm-up before it). */
export async function leadHops(
  transport: Transport,
  codec: RecordCodec,
  measuredFrom = 0,
): Promise<HopLatency[]> {
  /** Per stop, the time each lead reached it. */
  const reached = new Map<string, Map<string, number>>(STOPS.map((stop) => [stop, new Map()]));
  const mark = (stop: string, leadId: string, at: number) => {
    const times = reached.get(stop)!;
    if (!times.has(leadId)) times.set(leadId, at);
  };
  for (const record of await transport.read(TOPIC.leadsRaw)) {
    const lead = (await codec.decode<RawLead>(record)).value;
    mark('received', lead.leadId, lead.receivedAt);
    mark(TOPIC.leadsRaw, lead.leadId, record.timestamp);
  }
  for (const topic of LEAD_TOPICS) {
    for (const record of await transport.read(topic)) {
      mark(topic, (await codec.decode<{ leadId: string }>(record)).value.leadId, record.timestamp);
    }
  }
  // The offer that was accepted, not an earlier one that was declined.
  const offers = new Map<string, number>();
  for (const record of await transport.read(TOPIC.assignments)) {
    const event = (await codec.decode<AssignmentEvent>(record)).value;
    if ((event.type === 'offered' || event.type === 'reoffered') && event.offerId) {
      offers.set(event.offerId, record.timestamp);
    } else if (event.type === 'accepted' && event.offerId) {
      mark('accepted', event.leadId, record.timestamp);
      const offeredAt = offers.get(event.offerId);
      if (offeredAt !== undefined) mark('offered', event.leadId, offeredAt);
    }
  }
  for (const record of await transport.read(TOPIC.agentResponses)) {
    const response = (await codec.decode<AgentResponse>(record)).value;
    if (response.response === 'accept') mark(TOPIC.agentResponses, response.leadId, record.timestamp);
  }
  // Only accepted leads, whose latency `bench pipeline` reports, and after the warm-up.
  const received = reached.get('received')!;
  const accepted = [...reached.get('accepted')!.keys()].filter(
    (id) => (received.get(id) ?? 0) >= measuredFrom,
  );
  return STOPS.slice(1).map((to, i) => {
    const from = STOPS[i]!;
    const deltas: number[] = [];
    for (const leadId of accepted) {
      const began = reached.get(from)!.get(leadId);
      const at = reached.get(to)!.get(leadId);
      if (began !== undefined && at !== undefined) deltas.push(at - began);
    }
    return {
      hop: `${from} > ${to}`,
      leads: deltas.length,
      p50_ms: percentile(deltas, 0.5),
      p99_ms: percentile(deltas, 0.99),
    };
  });
}
