/**
 * What must hold after any number of crashes and outages: read from the topics (the source of
 * truth) and from the sinks' stores, and compared. Each check returns the violations it found,
 * so a failing test names every broken lead or entry at once instead of the first.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { DEFAULT_REWARDS_CONFIG } from '../../processors/reward/config';
import { dayOf } from '../../processors/reward/periods';
import { localPeriods } from '../../processors/match/hours';
import type { RewardEvent } from '../../schemas/reward-records';
import type { LedgerEntry } from '../../schemas/ledger-records';
import type { SoldLead } from '../../schemas/routing-records';
import type { BuyerReturnDecision } from '../../schemas/sale-records';
import { purchasesOf } from '../../processors/ledger/bids';
import type { RecordCodec } from '../../runtime/codec';
import { groupId, type Transport } from '../../runtime/transport';
import type { RejectedLead } from '../../schemas/lead-records';
import type { Graph } from '../../sinks/neo4j/graph';
import type { Database } from '../../sinks/postgres/database';
import { LEAD_EVENT_TOPICS } from '../../sinks/postgres/lead-events';
import { TOPIC } from '../../topics/platform';

export type TerminalState = 'rejected' | 'assigned' | 'unroutable' | 'manual_queue' | 'sold';

export function terminalStateOf(event: AssignmentEvent): TerminalState | null {
  if (event.type === 'accepted') return 'assigned';
  if (event.type === 'unroutable') return 'unroutable';
  if (event.type === 'escalated' && event.escalation === 'manual_queue') return 'manual_queue';
  return null;
}

/** Every lead the source wrote, as the topics tell it. */
export interface TopicFacts {
  rawLeadIds: string[];
  /** Each raw lead's vendor and when it was received. */
  rawLeads: { vendorId: string; receivedAt: number }[];
  rejected: RejectedLead[];
  scoredLeadIds: Set<string>;
  assignments: AssignmentEvent[];
  outcomes: { leadId: string }[];
  rewards: RewardEvent[];
  ledger: LedgerEntry[];
  /** Posted leads sold to their ping-post bid's buyers. */
  sold: SoldLead[];
  buyerReturns: BuyerReturnDecision[];
  leadEventRecords: number;
}

/** The topics the facts come from (beside the lead-event topics the Postgres sink reads). */
export const FACT_TOPICS = [
  TOPIC.leadsRaw,
  TOPIC.leadsRejected,
  TOPIC.leadsScored,
  TOPIC.assignments,
  TOPIC.leadOutcomes,
  TOPIC.rewards,
  TOPIC.ledger,
];

export async function readTopicFacts(transport: Transport, codec: RecordCodec): Promise<TopicFacts> {
  const values = async <V>(topic: string) =>
    Promise.all((await transport.read(topic)).map(async (r) => (await codec.decode<V>(r)).value));
  let leadEventRecords = 0;
  for (const topic of LEAD_EVENT_TOPICS) leadEventRecords += (await transport.read(topic)).length;
  return {
    ...(await (async () => {
      const raw = await values<{ leadId: string; vendorId: string; receivedAt: number }>(TOPIC.leadsRaw);
      return {
        rawLeadIds: raw.map((l) => l.leadId),
        rawLeads: raw.map(({ vendorId, receivedAt }) => ({ vendorId, receivedAt })),
      };
    })()),
    rejected: await values<RejectedLead>(TOPIC.leadsRejected),
    scoredLeadIds: new Set((await values<{ leadId: string }>(TOPIC.leadsScored)).map((l) => l.leadId)),
    assignments: await values<AssignmentEvent>(TOPIC.assignments),
    outcomes: await values<{ leadId: string }>(TOPIC.leadOutcomes),
    rewards: await values<RewardEvent>(TOPIC.rewards),
    ledger: await values<LedgerEntry>(TOPIC.ledger),
    sold: await values<SoldLead>(TOPIC.leadsSold),
    buyerReturns: await values<BuyerReturnDecision>(TOPIC.buyerReturnDecisions),
    leadEventRecords,
  };
}

/**
 * Every lead sent is on leads.raw once and ends in exactly one terminal state; no assignment,
 * outcome or reward is there twice; each lead's assignment events are numbered without gaps (a
 * lost or repeated transition would break the count); each accepted lead earned its agent one
 * lead_accepted reward (unless its agent had reached the daily cap) and has at most one reported
 * outcome.
 */
export function topicViolations(sent: readonly string[], facts: TopicFacts): string[] {
  const violations: string[] = [];
  const note = (message: string) => {
    if (violations.length < 50) violations.push(message);
  };
  const rawCounts = countBy(facts.rawLeadIds, (id) => id);
  for (const id of sent)
    if (rawCounts.get(id) !== 1) note(`lead ${id} is on leads.raw ${rawCounts.get(id) ?? 0} times`);

  const terminal = new Map<string, TerminalState[]>();
  const add = (leadId: string, state: TerminalState) =>
    terminal.set(leadId, [...(terminal.get(leadId) ?? []), state]);
  for (const lead of facts.rejected) add(lead.leadId, 'rejected');
  for (const sold of facts.sold) add(sold.leadId, 'sold');
  for (const event of facts.assignments) {
    const state = terminalStateOf(event);
    if (state) add(event.leadId, state);
  }
  for (const id of sent) {
    const states = terminal.get(id) ?? [];
    if (states.length !== 1)
      note(`lead ${id} ended in ${states.length} terminal states: [${states.join(', ')}]`);
  }

  for (const [eventId, n] of countBy(facts.assignments, (e) => e.eventId)) {
    if (n > 1) note(`assignment event ${eventId} is on the topic ${n} times`);
  }
  const numbers = new Map<string, number[]>();
  for (const event of facts.assignments) {
    const n = Number(event.eventId.slice(event.eventId.lastIndexOf(':') + 1));
    numbers.set(event.leadId, [...(numbers.get(event.leadId) ?? []), n]);
  }
  for (const [leadId, ns] of numbers) {
    const sorted = [...new Set(ns)].sort((a, b) => a - b);
    if (sorted.some((n, i) => n !== sorted[0]! + i))
      note(`lead ${leadId} has assignment events [${sorted.join(',')}]`);
  }

  for (const [eventId, n] of countBy(facts.rewards, (r) => r.eventId)) {
    if (n > 1) note(`reward ${eventId} is on the ledger ${n} times`);
  }
  for (const [key, n] of countBy(facts.rewards, (r) => `${r.accountId}/${r.reason}/${r.sourceEventId}`)) {
    if (n > 1) note(`reward ${key} was granted ${n} times`);
  }
  // Acceptance points stop at the daily cap (anti-gaming): a lead without its reward is only
  // right when its agent had reached the cap that day.
  const acceptedRewards = countBy(
    facts.rewards.filter((r) => r.reason === 'lead_accepted'),
    (r) => r.leadId ?? '',
  );
  const leadPointsByAgentDay = new Map<string, number>();
  for (const r of facts.rewards.filter((r) => r.reason === 'lead_accepted' || r.reason === 'fast_response')) {
    const key = `${r.accountId}/${dayOf(r.at)}`;
    leadPointsByAgentDay.set(key, (leadPointsByAgentDay.get(key) ?? 0) + r.points);
  }
  const cap = DEFAULT_REWARDS_CONFIG.points.leadDailyCap;
  const outcomes = countBy(facts.outcomes, (o) => o.leadId);
  for (const event of facts.assignments.filter((e) => e.type === 'accepted')) {
    const rewards = acceptedRewards.get(event.leadId) ?? 0;
    const capped = leadPointsByAgentDay.get(`${event.agentId}/${dayOf(event.at)}`) === cap;
    if (rewards > 1 || (rewards === 0 && !capped)) {
      note(
        `accepted lead ${event.leadId} earned ${rewards} lead_accepted rewards (agent under the daily cap)`,
      );
    }
    if ((outcomes.get(event.leadId) ?? 0) > 1) {
      note(`lead ${event.leadId} has ${outcomes.get(event.leadId)} outcomes on lead.outcomes`);
    }
  }
  ledgerViolations(facts).forEach(note);
  return violations;
}

/**
 * The ledger holds each entry once; each routed lead cost its price paid once (with its first
 * routing event), each acceptance earned the price charged on it, once, and each approved return
 * (at most one per lead) credited the one and charged back the other, once.
 */
function ledgerViolations(facts: TopicFacts): string[] {
  const violations: string[] = [];
  for (const [entryId, n] of countBy(facts.ledger, (e) => e.entryId)) {
    if (n > 1) violations.push(`ledger entry ${entryId} is on the topic ${n} times`);
  }
  const entries = new Map(facts.ledger.map((e) => [e.entryId, e]));
  const expected = new Map<string, number>();
  for (const event of facts.assignments) {
    if (event.eventId === `${event.leadId}:1` && event.lead.pricePaidCents != null) {
      expected.set(`${event.leadId}:cost`, event.lead.pricePaidCents);
    }
    if (event.type === 'accepted' && event.priceChargedCents != null) {
      expected.set(`${event.eventId}:revenue`, event.priceChargedCents);
    }
    if (event.type === 'return_approved') {
      if (event.priceChargedCents != null) expected.set(`${event.eventId}:credit`, event.priceChargedCents);
      if (event.lead.pricePaidCents != null)
        expected.set(`${event.eventId}:chargeback`, event.lead.pricePaidCents);
    }
  }
  const purchases = new Map(facts.sold.flatMap(purchasesOf).map((p) => [`${p.leadId}:sold:${p.buyerId}`, p]));
  for (const { leadId, sale } of facts.sold) {
    expected.set(`${leadId}:cost`, sale.vendorPriceCents);
    for (const buyer of sale.buyers)
      expected.set(`${leadId}:sold:${buyer.buyerId}:revenue`, buyer.priceCents);
  }
  for (const decision of facts.buyerReturns.filter((d) => d.status === 'approved')) {
    const purchase = purchases.get(`${decision.leadId}:sold:${decision.buyerId}`);
    if (!purchase) {
      violations.push(`buyer ${decision.buyerId} had lead ${decision.leadId} returned but never bought it`);
      continue;
    }
    expected.set(`${decision.leadId}:sold:${decision.buyerId}:credit`, purchase.priceCents);
    expected.set(`${decision.leadId}:sold:${decision.buyerId}:chargeback`, purchase.vendorShareCents);
  }
  for (const [key, n] of countBy(
    facts.buyerReturns.filter((d) => d.status === 'approved'),
    (d) => `${d.leadId}/${d.buyerId}`,
  )) {
    if (n > 1) violations.push(`purchase ${key} was returned ${n} times`);
  }
  for (const [eventId, n] of countBy(facts.buyerReturns, (d) => d.eventId)) {
    if (n > 1) violations.push(`buyer return decision ${eventId} is on the topic ${n} times`);
  }
  if (!facts.buyerReturns.some((d) => d.status === 'approved' && d.why.startsWith('reviewed_by:'))) {
    violations.push('no buyer return was approved on review: the run did not exercise them');
  }
  for (const [leadId, n] of countBy(
    facts.assignments.filter((e) => e.type === 'return_approved'),
    (e) => e.leadId,
  )) {
    if (n > 1) violations.push(`lead ${leadId} was returned ${n} times`);
  }
  for (const [entryId, cents] of expected) {
    const entry = entries.get(entryId);
    if (entry?.amountCents !== cents) {
      violations.push(
        `ledger entry ${entryId} is ${entry ? `${entry.amountCents} cents` : 'missing'}, not ${cents}`,
      );
    }
  }
  for (const entryId of entries.keys()) {
    if (!expected.has(entryId)) violations.push(`ledger entry ${entryId} has no event that caused it`);
  }
  for (const kind of ['revenue', 'credit']) {
    if (![...expected.keys()].some((id) => id.endsWith(`:${kind}`))) {
      violations.push(
        `no ${kind} entry is due: the run did not exercise the ${kind === 'revenue' ? 'price charged' : 'returns'}`,
      );
    }
  }
  return violations;
}

/** The caps a run holds: one vendor's daily intake, some agents' weekly acceptances, a buyer's daily purchases. */
export interface RunCaps {
  vendor: string;
  daily: number;
  agentWeekly: Record<string, number>;
  buyerDaily: Record<string, number>;
}

const isoWeek = (at: number) => localPeriods(at, 'UTC').week;

/**
 * Every cap held, and was reached (the run tested it): the vendor's leads on leads.raw per UTC day,
 * with the rest refused at ingress, and each capped agent's acceptances per week (the agents of
 * the run work in UTC), whatever was killed meanwhile.
 */
export function capViolations(facts: TopicFacts, caps: RunCaps, refusedVendors: readonly string[]): string[] {
  const violations: string[] = [];
  const perDay = countBy(
    facts.rawLeads.filter((l) => l.vendorId === caps.vendor),
    (l) => dayOf(l.receivedAt),
  );
  for (const [day, n] of perDay) {
    if (n > caps.daily)
      violations.push(`${caps.vendor} has ${n} leads on ${day}, over its daily cap of ${caps.daily}`);
  }
  const refused = refusedVendors.filter((vendor) => vendor === caps.vendor).length;
  if (refused === 0 || refused !== refusedVendors.length) {
    violations.push(
      `ingress refused ${refused} leads of ${caps.vendor} and ${refusedVendors.length - refused} others`,
    );
  }
  const accepted = countBy(
    facts.assignments.filter((e) => e.type === 'accepted' && e.agentId! in caps.agentWeekly),
    (e) => `${e.agentId}/${isoWeek(e.at)}`,
  );
  let reached = false;
  for (const [agentId, weekly] of Object.entries(caps.agentWeekly)) {
    const weeks = [...accepted].filter(([key]) => key.startsWith(`${agentId}/`));
    for (const [key, n] of weeks)
      if (n > weekly) violations.push(`${key} accepted ${n} leads, over ${weekly}`);
    reached ||= weeks.some(([, n]) => n === weekly);
  }
  // Ranking decides how many offers each agent gets: one capped agent at its cap tests the cap.
  if (!reached) violations.push(`no capped agent reached its weekly cap: ${JSON.stringify([...accepted])}`);
  // A buyer's leads are counted on the day of the post, which is the lead's receipt.
  const bought = countBy(
    facts.sold.flatMap((s) => s.sale.buyers.map((b) => `${b.buyerId}/${dayOf(s.lead.receivedAt)}`)),
    (key) => key,
  );
  for (const [buyerId, daily] of Object.entries(caps.buyerDaily)) {
    const days = [...bought].filter(([key]) => key.startsWith(`${buyerId}/`));
    for (const [key, n] of days) if (n > daily) violations.push(`${key} bought ${n} leads, over ${daily}`);
    if (!days.some(([, n]) => n === daily)) {
      violations.push(`buyer ${buyerId} never reached its daily cap of ${daily}: ${JSON.stringify(days)}`);
    }
  }
  return violations;
}

/**
 * Input records some processor has not committed yet: read from each group's committed offset up
 * to the topic's last stable offset. End minus committed cannot tell alone, because a
 * transactional topic ends in a commit marker that consumers never commit past. A processor with
 * an open transaction (a worker killed mid-commit, and not yet replaced) has its input uncommitted
 * too, so an empty answer also means no transaction is holding records back from the topics.
 */
export async function uncommittedInputs(
  transport: Transport,
  appId: string,
  processors: readonly { name: string; inputs: readonly string[] }[],
): Promise<string[]> {
  const topics = [...new Set(processors.flatMap((p) => p.inputs))];
  const ends = new Map((await transport.describeTopics(topics)).map((info) => [info.name, info.endOffsets]));
  const behind: string[] = [];
  for (const processor of processors) {
    const group = groupId(appId, processor.name);
    for (const topic of processor.inputs) {
      const committed = await transport.committedOffsets(group, topic);
      const from = new Map<number, number>();
      (ends.get(topic) ?? []).forEach((end, partition) => {
        const next = Math.max(0, committed[partition] ?? -1);
        if (next < end) from.set(partition, next);
      });
      if (from.size === 0) continue;
      const records = await transport.read(topic, { partitions: [...from.keys()], from });
      if (records.length > 0) behind.push(`${processor.name}: ${records.length} records of ${topic}`);
    }
  }
  return behind;
}

/** What the Postgres read models hold, next to what the topics say they must hold. */
export async function postgresAgainstTopics(database: Database, facts: TopicFacts) {
  const count = async (sql: string) => ((await database.query<{ n: number }>(sql)).rows[0]?.n ?? 0) as number;
  const stored = {
    leads: await count('SELECT count(*)::int AS n FROM leads'),
    lead_events: await count('SELECT count(*)::int AS n FROM lead_events'),
    rejected_leads: await count(`SELECT count(*)::int AS n FROM leads WHERE stage = 'rejected'`),
    assignments: await count('SELECT count(*)::int AS n FROM assignments'),
    lead_outcomes: await count('SELECT count(*)::int AS n FROM lead_outcomes'),
    rewards_ledger: await count('SELECT count(*)::int AS n FROM rewards_ledger'),
  };
  const expected = {
    leads: new Set(facts.rawLeadIds).size,
    lead_events: facts.leadEventRecords,
    rejected_leads: new Set(facts.rejected.map((r) => r.leadId)).size,
    assignments: facts.assignments.length,
    lead_outcomes: facts.outcomes.length,
    rewards_ledger: facts.rewards.length,
  };
  return { stored, expected };
}

/** The graph's leads and ASSIGNED_TO edges for this run's leads, next to the topics' counts. */
export async function graphAgainstTopics(graph: Graph, facts: TopicFacts) {
  const ids = [...facts.scoredLeadIds];
  const [row] = await graph.query<{ leads: number; assigned: number }>(
    `MATCH (l:Lead) WHERE l.leadId IN $ids
     OPTIONAL MATCH (l)-[r:ASSIGNED_TO]->(:Agent)
     RETURN toFloat(count(DISTINCT l)) AS leads, toFloat(count(r)) AS assigned`,
    { ids },
  );
  const stored = { leads: row?.leads ?? 0, assigned: row?.assigned ?? 0 };
  const expected = {
    leads: ids.length,
    assigned: facts.assignments.filter((e) => e.type === 'accepted').length,
  };
  return { stored, expected };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
