import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { Agent } from '../../schemas/routing-records';
import type { LeadOutcomeEvent } from '../../schemas/score-records';
import type { ConsumedRecord } from '../../runtime/records';
import { TOPIC } from '../../topics/platform';
import type { Queryable } from './database';
import { eventId, storableTime, withoutNul } from './lead-events';
import { insertNew, iso } from './writer';

/** The routing topics the `postgres-routing` sink keeps tables of. */
export const ROUTING_TOPICS = [TOPIC.agents, TOPIC.assignments, TOPIC.leadOutcomes];

/** One routing record as the tables store it. */
export type RoutingChange =
  | { table: 'agents'; agentId: string; offset: number; agent: Agent | null }
  | { table: 'assignments'; event: AssignmentEvent }
  | { table: 'lead_outcomes'; outcome: LeadOutcomeEvent };

/** What a record changes; throws (the record is dead-lettered) when it could never be stored. */
export function toRoutingChange(record: ConsumedRecord<unknown>): RoutingChange {
  const where = eventId(record);
  if (record.topic === TOPIC.agents) {
    const agent = record.value as Agent | null;
    if (agent && !storableTime(agent.updatedAt))
      throw new Error(`${where}: updatedAt ${agent.updatedAt} is not a storable time`);
    return {
      table: 'agents',
      agentId: withoutNul(record.key),
      offset: record.offset,
      agent: withoutNul(agent),
    };
  }
  if (record.value === null) throw new Error(`${where} has no value (a tombstone on ${record.topic})`);
  if (record.topic === TOPIC.assignments) {
    const event = record.value as AssignmentEvent;
    if (!storableTime(event.at)) throw new Error(`${where}: at ${event.at} is not a storable time`);
    return { table: 'assignments', event: withoutNul(event) };
  }
  if (record.topic === TOPIC.leadOutcomes) {
    const outcome = record.value as LeadOutcomeEvent;
    if (!storableTime(outcome.at)) throw new Error(`${where}: at ${outcome.at} is not a storable time`);
    return { table: 'lead_outcomes', outcome: withoutNul(outcome) };
  }
  throw new Error(`${record.topic} is not a routing topic the postgres sink reads`);
}

/**
 * Writes routing changes inside the caller's transaction. Agents follow their compacted topic (a
 * row only moves forward in offsets; a tombstone deletes it); assignment transitions and outcomes
 * are inserted once by their event ids, so a batch written twice changes nothing.
 */
export async function writeRoutingChanges(tx: Queryable, changes: readonly RoutingChange[]): Promise<void> {
  const latestAgents = new Map<string, Extract<RoutingChange, { table: 'agents' }>>();
  const assignments: AssignmentEvent[] = [];
  const outcomes: LeadOutcomeEvent[] = [];
  for (const change of changes) {
    if (change.table === 'agents') latestAgents.set(change.agentId, change);
    else if (change.table === 'assignments') assignments.push(change.event);
    else outcomes.push(change.outcome);
  }
  const agents = [...latestAgents.values()];
  const upserts = agents.flatMap((c) =>
    c.agent
      ? [
          {
            agent_id: c.agentId,
            routing_group: c.agent.routingGroup,
            active: c.agent.status === 'active',
            payload: c.agent,
            updated_at: iso(c.agent.updatedAt),
            source_offset: c.offset,
          },
        ]
      : [],
  );
  if (upserts.length > 0) {
    await tx.query(
      `INSERT INTO agents AS cur (agent_id, routing_group, active, payload, updated_at, source_offset)
       SELECT agent_id, routing_group, active, payload, updated_at, source_offset
       FROM jsonb_to_recordset($1::jsonb) AS a(agent_id text, routing_group text, active boolean,
         payload jsonb, updated_at timestamptz, source_offset bigint)
       ON CONFLICT (agent_id) DO UPDATE SET
         routing_group = excluded.routing_group, active = excluded.active, payload = excluded.payload,
         updated_at = excluded.updated_at, source_offset = excluded.source_offset
       WHERE cur.source_offset < excluded.source_offset`,
      [JSON.stringify(upserts)],
    );
  }
  const removals = agents.flatMap((c) => (c.agent ? [] : [{ agent_id: c.agentId, source_offset: c.offset }]));
  if (removals.length > 0) {
    await tx.query(
      `DELETE FROM agents AS cur USING jsonb_to_recordset($1::jsonb) AS a(agent_id text, source_offset bigint)
       WHERE cur.agent_id = a.agent_id AND cur.source_offset < a.source_offset`,
      [JSON.stringify(removals)],
    );
  }
  await insertNew(
    tx,
    'assignments',
    {
      event_id: 'text',
      lead_id: 'text',
      agent_id: 'text',
      status: 'text',
      occurred_at: 'timestamptz',
      payload: 'jsonb',
    },
    ['event_id'],
    assignments.map((e) => ({
      event_id: e.eventId,
      lead_id: e.leadId,
      // Transitions without an agent (waiting, escalated to the manual queue, unroutable).
      agent_id: e.agentId ?? '',
      status: e.type,
      occurred_at: iso(e.at),
      payload: e,
    })),
  );
  await insertNew(
    tx,
    'lead_outcomes',
    { event_id: 'text', lead_id: 'text', outcome: 'text', occurred_at: 'timestamptz', payload: 'jsonb' },
    ['event_id'],
    outcomes.map((o) => ({
      event_id: o.eventId,
      lead_id: o.leadId,
      outcome: o.status,
      occurred_at: iso(o.at),
      payload: o,
    })),
  );
}
