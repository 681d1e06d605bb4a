/**
 * Where match sent each lead. leads.matched is keyed by routing group (unroutable leads by lead
 * id), so the assign task holding a lead's state depends on where the lead went: a second routing
 * of the same lead (a replay of score, agents moved to another group) can reach a task that has
 * never heard of it and offer it again. match is keyed by lead id, so it is the one place that
 * sees every routing of a lead, and it decides here whether a lead may be routed (again).
 *
 * A lead routed to a group is never routed again. A lead that was unroutable may be routed once
 * candidates exist, as a new generation: assign numbers that generation's events apart, so no
 * event id is ever reused for a different event.
 */
import { DAY_MS } from '../common/dates';
import type { LeadMatched, RoutableLead } from '../../schemas/routing-records';

/** What match keeps of a lead it has routed (store `routings`, keyed by lead id). */
export interface LeadRouting {
  generation: number;
  /** null: unroutable so far. */
  routingGroup: string | null;
  matchedAt: number;
  /** Sold to its ping-post buyers instead: never routed to agents. Absent before ping-post. */
  sold?: boolean;
}

export type SkipReason = 'already_routed' | 'already_sold' | 'still_unroutable' | 'too_old';

export type RoutingDecision =
  { kind: 'route'; matched: LeadMatched; routing: LeadRouting } | { kind: 'skip'; reason: SkipReason };

/**
 * Whether a scored lead is routed, given what is remembered of it; `match` runs only when it is
 * needed. The memory of a lead is kept `retentionDays` after its last routing, so a lead received
 * before that horizon may have been forgotten: it is not routed (it could reuse event ids).
 */
export function decideRouting(
  previous: LeadRouting | undefined,
  lead: RoutableLead,
  now: number,
  retentionDays: number,
  match: () => LeadMatched,
): RoutingDecision {
  if (previous?.sold) return { kind: 'skip', reason: 'already_sold' };
  if (previous && previous.routingGroup !== null) return { kind: 'skip', reason: 'already_routed' };
  if (tooOld(lead, now, retentionDays)) return { kind: 'skip', reason: 'too_old' };
  const matched = match();
  if (previous && matched.outcome === 'unroutable') return { kind: 'skip', reason: 'still_unroutable' };
  const generation = (previous?.generation ?? 0) + 1;
  return {
    kind: 'route',
    matched: { ...matched, generation },
    routing: { generation, routingGroup: matched.routingGroup, matchedAt: matched.matchedAt },
  };
}

const tooOld = (lead: Pick<RoutableLead, 'receivedAt'>, now: number, retentionDays: number) =>
  lead.receivedAt < now - retentionDays * DAY_MS;

export type SaleDecision = { kind: 'sell'; routing: LeadRouting } | { kind: 'skip'; reason: SkipReason };

/**
 * Whether a posted lead is sold now: once only, like a routing, and never after it was routed
 * (a lead is either sold or routed) or once it is older than the memory of it.
 */
export function decideSale(
  previous: LeadRouting | undefined,
  lead: Pick<RoutableLead, 'receivedAt'>,
  now: number,
  retentionDays: number,
): SaleDecision {
  if (previous?.sold) return { kind: 'skip', reason: 'already_sold' };
  if (previous) return { kind: 'skip', reason: 'already_routed' };
  if (tooOld(lead, now, retentionDays)) return { kind: 'skip', reason: 'too_old' };
  return { kind: 'sell', routing: { generation: 1, routingGroup: null, matchedAt: now, sold: true } };
}
