import { randomUUID } from 'node:crypto';
import { parseLeadInput, type ParseLeadResult, type RawLead } from './lead';
import type { Sale } from './sale-records';

export interface IntakeMeta {
  vendorId: string;
  /** Where the lead came from: api, file, replay, demo. */
  channel: string;
  receivedAt: number;
  leadId?: string;
  /** A post's ping-post sale. */
  sale?: Sale;
}

/**
 * The record every entry point (HTTP, file upload, demo) writes to leads.raw. The body is kept
 * verbatim as JSON text so nothing a vendor sent is lost, even when it does not parse; validate
 * decides what is wrong with it.
 */
export function toRawLead(body: unknown, meta: IntakeMeta): RawLead {
  return rawLeadOf(body, parseLeadInput(body), meta);
}

/** `toRawLead` for a body already parsed (the HTTP routes parse at the route, to answer 400s). */
export function rawLeadOf(body: unknown, parsed: ParseLeadResult, meta: IntakeMeta): RawLead {
  return {
    leadId: meta.leadId ?? randomUUID(),
    receivedAt: meta.receivedAt,
    vendorId: meta.vendorId,
    channel: meta.channel,
    sale: meta.sale ?? null,
    body: JSON.stringify(body) ?? 'null',
    lead: parsed.ok ? parsed.lead : null,
  };
}
