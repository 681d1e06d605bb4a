/**
 * Which lead events a vendor hears about: accepted (passed validation and the contact screens),
 * rejected (with every reason), assigned (an agent accepted it) and converted (sold). A pure
 * mapping from pipeline records to webhook events; delivery (HMAC signature, retries, delivery
 * log) belongs to the webhook connector, which reads these topics and posts what this returns.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { ConsumedRecord } from '../../runtime/records';
import { HEADER } from '../../runtime/records';
import type { Reason, RejectedLead, ValidLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';

export const VENDOR_EVENT_TYPES = [
  'lead.accepted',
  'lead.rejected',
  'lead.assigned',
  'lead.converted',
] as const;
export type VendorEventType = (typeof VENDOR_EVENT_TYPES)[number];

export interface VendorStatusEvent {
  /** Stable across redeliveries of the same fact, so the vendor (and the connector) can dedupe. */
  eventId: string;
  type: VendorEventType;
  vendorId: string;
  leadId: string;
  /** Epoch ms the fact happened in the pipeline. */
  occurredAt: number;
  reasons: Reason[];
  agentId: string | null;
}

/** The topics the webhook connector reads for vendor status events. */
export const VENDOR_EVENT_TOPICS = [TOPIC.leadsValid, TOPIC.leadsRejected, TOPIC.assignments] as const;

/**
 * The vendor event a record stands for, or null: most assignment transitions are internal, and a
 * replayed record re-states a fact the vendor was already told.
 */
export function vendorStatusEvent(record: ConsumedRecord<unknown>): VendorStatusEvent | null {
  if (record.headers[HEADER.replay] === '1' || record.value === null) return null;
  switch (record.topic) {
    case TOPIC.leadsValid: {
      const lead = record.value as ValidLead;
      return event('lead.accepted', lead.leadId, lead.vendorId, lead.validatedAt);
    }
    case TOPIC.leadsRejected: {
      const lead = record.value as RejectedLead;
      return {
        ...event('lead.rejected', lead.leadId, lead.vendorId, lead.rejectedAt),
        reasons: lead.reasons,
      };
    }
    case TOPIC.assignments: {
      const assignment = record.value as AssignmentEvent;
      const { leadId, vendorId } = assignment.lead;
      if (assignment.type === 'accepted') {
        return {
          ...event('lead.assigned', leadId, vendorId, assignment.at),
          eventId: `lead.assigned:${assignment.eventId}`,
          agentId: assignment.agentId,
        };
      }
      if (assignment.outcome === 'sold') {
        return { ...event('lead.converted', leadId, vendorId, assignment.at), agentId: assignment.agentId };
      }
      return null;
    }
    default:
      return null;
  }
}

function event(
  type: VendorEventType,
  leadId: string,
  vendorId: string,
  occurredAt: number,
): VendorStatusEvent {
  // A lead is accepted, rejected or converted once; assignments can repeat and carry their own id.
  return { eventId: `${type}:${leadId}`, type, vendorId, leadId, occurredAt, reasons: [], agentId: null };
}
