/**
 * Erasure in the graph, against a real Neo4j (deploy/local/services.sh up neo4j): the
 * `neo4j-privacy` sink takes an erased lead's ZIP and household links away and deletes the
 * households no lead is left in; erasing again changes nothing; a record of an erased lead the
 * graph sink writes later (a late record, a rebuild) is erased again in the same batch.
 *
 * The sinks' flushes are called directly with records (no transport). Every id and street address
 * carries this run's prefix, so runs sharing the one database never see each other's nodes;
 * afterAll deletes them.
 */
import pino from 'pino';
import type { ConsumedRecord } from '../../runtime/records';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import type { ScoredLead } from '../../schemas/score-records';
import { Graph } from '../../sinks/neo4j/graph';
import { NEO4J_SINKS, neo4jSinks } from '../../sinks/neo4j/processor';
import { TOPIC } from '../../topics/platform';
import { neo4jGate, neo4jUrl } from '../support/services';
import { testBlind } from '../support/privacy';
import { consumed, leadJourney } from './records';

jest.setTimeout(120_000);

const gate = neo4jGate();
const run = `e${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const id = (name: string) => `${run}-${name}`;
const log = pino({ level: 'silent' });

/** A scored lead of this run at a street address of this run, with its assignment transitions. */
function lead(name: string, home: { street: string; lastName: string; zip: string }) {
  const leadId = id(name);
  const { scored, assignments } = leadJourney(leadId);
  const value: ScoredLead = {
    ...scored,
    vendorId: id('vendor'),
    lead: {
      ...scored.lead,
      contact: {
        ...scored.lead.contact,
        addressLine1: `${home.street} ${run} Street`,
        addressLine2: null,
        lastName: home.lastName,
        state: 'TX',
        zip: home.zip,
      },
    },
  };
  const transitions = assignments.slice(0, 2).map((event): AssignmentEvent => ({
    ...event,
    agentId: id('agent'),
    lead: { ...event.lead, vendorId: id('vendor') },
  }));
  return { leadId, scored: value, transitions };
}

function erasure(part: string, leadIds: string[]): PrivacyErasure {
  return {
    requestId: id('req'),
    part,
    parts: 2,
    leadIds,
    requestedBy: 'admin',
    requestedAt: Date.UTC(2026, 2, 1),
    erasedAt: Date.UTC(2026, 2, 1, 0, 0, 5),
  };
}

const OWNED = 'coalesce(n.leadId, n.agentId, n.vendorId, "") STARTS WITH $run';

interface LeadNode {
  leadId: string;
  properties: Record<string, unknown>;
  households: number;
  sameHousehold: string[];
  assigned: string[];
}

(gate.run ? describe : describe.skip)('neo4j-privacy sink', () => {
  let graph: Graph | undefined;

  beforeAll(async () => {
    if (gate.reason) throw new Error(gate.reason);
    graph = await Graph.open({ NEO4J_URL: neo4jUrl });
  });

  afterAll(async () => {
    await graph?.execute(
      `MATCH (n) WHERE ${OWNED}
       OPTIONAL MATCH (n)-[:IN_HOUSEHOLD]->(h:Household)
       DETACH DELETE n, h`,
      { run },
    );
    await graph?.close();
  });

  const flush = async (name: (typeof NEO4J_SINKS)[number], records: ConsumedRecord<unknown>[]) => {
    const sink = neo4jSinks(graph!, testBlind).find((p) => p.name === name)!;
    for (const record of records) await sink.process(record as never, {} as never);
    await sink.flush!(records as never[], { partition: 0, log });
  };

  const leads = async (): Promise<Record<string, LeadNode>> => {
    const rows = await graph!.query<LeadNode>(
      `MATCH (l:Lead) WHERE l.leadId STARTS WITH $run
       RETURN l.leadId AS leadId, properties(l) AS properties,
         COUNT { (l)-[:IN_HOUSEHOLD]->(:Household) } AS households,
         [(l)-[:SAME_HOUSEHOLD]-(o:Lead) | o.leadId] AS sameHousehold,
         [(l)-[:ASSIGNED_TO]->(a:Agent) | a.agentId] AS assigned`,
      { run },
    );
    return Object.fromEntries(rows.map((row) => [row.leadId, row]));
  };

  /** Households any lead of this run is in, and every node and relationship of this run. */
  const counts = async () => {
    const [row] = await graph!.query<{ households: number; nodes: number; relationships: number }>(
      `CALL { MATCH (l:Lead)-[:IN_HOUSEHOLD]->(h:Household) WHERE l.leadId STARTS WITH $run
              RETURN count(DISTINCT h) AS households }
       CALL { MATCH (n) WHERE ${OWNED} RETURN count(n) AS nodes }
       CALL { MATCH (n)-[r]-() WHERE ${OWNED} RETURN count(DISTINCT r) AS relationships }
       RETURN households, nodes, relationships`,
      { run },
    );
    return row!;
  };

  /** Households of this run's address keys that no lead is in: erasure must leave none. */
  const orphanHouseholds = async (keys: string[]) =>
    (
      await graph!.query<{ n: number }>(
        `MATCH (h:Household) WHERE h.key IN $keys AND NOT EXISTS { (h)<-[:IN_HOUSEHOLD]-() }
         RETURN count(h) AS n`,
        { keys },
      )
    )[0]!.n;

  const householdKeys = async (leadIds: string[]) =>
    (
      await graph!.query<{ key: string }>(
        `MATCH (l:Lead)-[:IN_HOUSEHOLD]->(h:Household) WHERE l.leadId IN $leadIds RETURN DISTINCT h.key AS key`,
        { leadIds },
      )
    ).map((row) => row.key);

  test('erased leads lose ZIP and households, lone households go, the rest stays; again changes nothing', async () => {
    // L1 and L2: one family at one address; L3 alone elsewhere.
    const l1 = lead('l1', { street: '10 Oak', lastName: 'Rivera', zip: '78701' });
    const l2 = lead('l2', { street: '10 Oak', lastName: 'Rivera', zip: '78701' });
    const l3 = lead('l3', { street: '99 Elm', lastName: 'Nguyen', zip: '78702' });
    const scored = (l: ReturnType<typeof lead>, offset: number) =>
      consumed(TOPIC.leadsScored, l.leadId, l.scored, offset);
    await flush('neo4j-graph', [
      scored(l1, 0),
      scored(l2, 1),
      scored(l3, 2),
      ...l1.transitions.map((event, i) => consumed(TOPIC.assignments, event.leadId, event, i)),
    ]);
    const before = await leads();
    expect(before[l1.leadId]).toMatchObject({
      households: 2,
      sameHousehold: [l2.leadId],
      assigned: [id('agent')],
    });
    expect(before[l1.leadId]!.properties).toMatchObject({ zip: '78701', state: 'TX' });
    expect(before[l3.leadId]).toMatchObject({ households: 2, sameHousehold: [] });
    const keys = await householdKeys([l1.leadId, l2.leadId, l3.leadId]);
    expect(keys).toHaveLength(4);

    const records = [
      consumed(TOPIC.privacyErasures, id('req'), erasure('email:1', [l1.leadId, l3.leadId]), 0),
      consumed(TOPIC.privacyErasures, id('req'), erasure('phone:1', [l1.leadId]), 1),
    ];
    await flush('neo4j-privacy', records);
    const after = await leads();
    for (const erased of [l1.leadId, l3.leadId]) {
      expect(after[erased]).toMatchObject({ households: 0, sameHousehold: [] });
      expect(after[erased]!.properties).not.toHaveProperty('zip');
      expect(after[erased]!.properties).toMatchObject({
        erased: true,
        state: 'TX',
        line: before[erased]!.properties.line,
        score: before[erased]!.properties.score,
        tier: before[erased]!.properties.tier,
        vendorId: id('vendor'),
      });
    }
    // The erased lead keeps its routing history; the other member keeps its household.
    expect(after[l1.leadId]!.assigned).toEqual([id('agent')]);
    expect(after[l2.leadId]).toEqual({ ...before[l2.leadId], sameHousehold: [] });
    expect((await counts()).households).toBe(2);
    expect(await orphanHouseholds(keys)).toBe(0);
    const erasedCounts = await counts();

    await flush('neo4j-privacy', records);
    expect(await leads()).toEqual(after);
    expect(await counts()).toEqual(erasedCounts);

    // A late record of an erased lead (or a rebuild): erased again in the graph sink's batch.
    await flush('neo4j-graph', [scored(l1, 3), scored(l3, 4)]);
    expect(await leads()).toEqual(after);
    expect(await counts()).toEqual(erasedCounts);
    expect(await orphanHouseholds(keys)).toBe(0);
  });

  test('a lead erased before the graph holds it is erased when its record comes', async () => {
    const l4 = lead('l4', { street: '5 Pine', lastName: 'Okafor', zip: '78703' });
    const l5 = lead('l5', { street: '5 Pine', lastName: 'Okafor', zip: '78703' });
    await flush('neo4j-privacy', [
      consumed(TOPIC.privacyErasures, id('req'), erasure('email:2', [l4.leadId]), 2),
    ]);
    await flush('neo4j-graph', [
      consumed(TOPIC.leadsScored, l4.leadId, l4.scored, 5),
      consumed(TOPIC.leadsScored, l5.leadId, l5.scored, 6),
    ]);
    const now = await leads();
    expect(now[l4.leadId]).toMatchObject({ households: 0, sameHousehold: [] });
    expect(now[l4.leadId]!.properties).not.toHaveProperty('zip');
    expect(now[l4.leadId]!.properties).toMatchObject({ erased: true, vendorId: id('vendor') });
    expect(now[l5.leadId]).toMatchObject({ households: 2, sameHousehold: [] });
    expect(now[l5.leadId]!.properties).toMatchObject({ zip: '78703' });
    expect(await orphanHouseholds(await householdKeys([l5.leadId]))).toBe(0);
  });
});
