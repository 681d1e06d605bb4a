/**
 * The Neo4j sink and the graph job against a real Neo4j (deploy/local/services.sh up neo4j):
 * the sink builds the graph idempotently from the topics, the graph job's features are exact on a
 * hand-built graph, and the features reach agent.features and match's ranking.
 *
 * Every id (and every street address, so household keys too) carries this run's prefix, so runs
 * sharing the one database never see each other's nodes; afterAll deletes them.
 */
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { enrichLead } from '../../processors/enrich/enrich';
import { matchProcessor } from '../../processors/match/processor';
import type { Agent, AgentFeatures, LeadMatched } from '../../schemas/routing-records';
import { routableLead } from '../../processors/match/routable-lead';
import { parseRoutingConfig } from '../../processors/match/routing-config';
import { testAgent } from '../../tools/routing-fixtures';
import type { Partner, ReferralEvent } from '../../schemas/reward-records';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { scoreLead } from '../../processors/score/score';
import { DEFAULT_CONSENT_MAX_AGE_DAYS, validateLead } from '../../processors/validate/rules';
import { Pipeline } from '../../runtime/pipeline';
import { INSURANCE_LINES } from '../../schemas/lead';
import { US_STATES } from '../../schemas/us-states';
import { agentFeatures } from '../../sinks/neo4j/features';
import { Graph } from '../../sinks/neo4j/graph';
import { GRAPH_JOB_SOURCE, GraphJob, graphJobCodec } from '../../sinks/neo4j/graph-job';
import type { AgentRow, GraphBatch, LeadRow } from '../../sinks/neo4j/graph-records';
import { neo4jSinks } from '../../sinks/neo4j/processor';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';
import { testBlind } from '../support/privacy';
import { neo4jGate, neo4jUrl } from '../support/services';

jest.setTimeout(180_000);

const gate = neo4jGate();
const run = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const id = (name: string) => `${run}-${name}`;
const embedded = transportsUnderTest().find((choice) => choice.kind === 'embedded')!;

const ALL_STATES = US_STATES.map((s) => s.code);

/** Licensed everywhere for everything, working around the clock, so any generated lead fits. */
function anywhereAgent(agentId: string, overrides: Partial<Agent> = {}): Agent {
  return testAgent({
    agentId,
    licences: Object.fromEntries(INSURANCE_LINES.map((line) => [line, ALL_STATES])),
    languages: ['en', 'es'],
    location: null,
    workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    ...overrides,
  });
}

/** A real scored lead (generated, validated, enriched, scored) at a street address of this run, in Austin. */
function scoredLead(
  leadId: string,
  home: { street: string; lastName: string },
  partnerId: string | null = null,
): ScoredLead {
  const now = Date.now();
  const { leads } = generateLeads({ count: 1, seed: leadId, badShare: 0, now });
  const raw = toRawLead(leads[0], { vendorId: id('vendor'), channel: 'test', receivedAt: now, leadId });
  const valid = validateLead(raw, { now, consentMaxAgeDays: DEFAULT_CONSENT_MAX_AGE_DAYS });
  if (valid.status !== 'valid') throw new Error('generated lead did not validate');
  const scored = scoreLead(enrichLead(valid.lead, now), new Scorer(loadDefaultModel()), now);
  scored.lead.contact.addressLine1 = `${home.street} ${run} Street`;
  scored.lead.contact.addressLine2 = null;
  scored.lead.contact.lastName = home.lastName;
  scored.lead.contact.state = 'TX';
  scored.lead.contact.zip = '78701';
  scored.lead.extra = partnerId === null ? {} : { partnerId: JSON.stringify(partnerId) };
  return scored;
}

function assignment(
  lead: ScoredLead,
  n: number,
  type: AssignmentEvent['type'],
  agentId: string,
  outcome: AssignmentEvent['outcome'] = null,
): AssignmentEvent {
  return {
    eventId: `${lead.leadId}:${n}`,
    leadId: lead.leadId,
    type,
    routingGroup: id('g1'),
    agentId,
    offerId: `${lead.leadId}/offer`,
    attempt: 1,
    strategy: 'best_match',
    at: 1_000 + n,
    matchedAt: 1_000,
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome,
    premiumUsd: null,
    rankScore: type === 'offered' || type === 'reoffered' ? 0.5 : null,
    lead: routableLead(lead),
  };
}

const outcome = (
  leadId: string,
  status: LeadOutcomeEvent['status'],
  agentId: string,
  at: number,
): LeadOutcomeEvent => ({
  eventId: `${leadId}:${status}`,
  leadId,
  status,
  at,
  agentId,
  premiumUsd: null,
  reason: null,
});

const referral = (leadId: string, partnerId: string, type: ReferralEvent['type']): ReferralEvent => ({
  eventId: `${leadId}:${type}`,
  leadId,
  partnerId,
  type,
  at: 2_000,
  reason: null,
  premiumCents: null,
  commissionCents: null,
  agentId: null,
  note: null,
});

const partner = (partnerId: string, name: string): Partner => ({
  partnerId,
  name,
  status: 'active',
  plan: null,
  routingGroup: null,
  payout: null,
  registeredAt: 1,
  updatedAt: 1,
  source: 'test',
});

const OWNED = 'coalesce(n.leadId, n.agentId, n.vendorId, n.partnerId, n.name, "") STARTS WITH $run';

/** Nodes per label and relationships per type that belong to this run. */
async function graphCounts(
  graph: Graph,
): Promise<{ nodes: Record<string, number>; relationships: Record<string, number> }> {
  const nodes = await graph.query<{ label: string; n: number }>(
    `MATCH (n) WHERE ${OWNED} RETURN labels(n)[0] AS label, count(*) AS n
     UNION ALL
     MATCH (l:Lead)-[:IN_HOUSEHOLD]->(h:Household) WHERE l.leadId STARTS WITH $run
     RETURN 'Household' AS label, count(DISTINCT h) AS n`,
    { run },
  );
  const relationships = await graph.query<{ type: string; n: number }>(
    `MATCH (n)-[r]->() WHERE ${OWNED} RETURN type(r) AS type, count(r) AS n`,
    { run },
  );
  return {
    nodes: Object.fromEntries(nodes.filter((row) => row.n > 0).map((row) => [row.label, row.n])),
    relationships: Object.fromEntries(relationships.map((row) => [row.type, row.n])),
  };
}

(gate.run ? describe : describe.skip)('neo4j graph sink and graph job', () => {
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

  test('the sink builds the graph from the topics, and replayed records change nothing', async () => {
    const harness = embedded.create();
    try {
      const transport = harness.connect();
      const processors = neo4jSinks(graph!, testBlind);
      const catalog = platformCatalog();
      await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
      const { codec, vault } = await codecFor(transport, catalog, [
        TOPIC.leadsScored,
        TOPIC.agents,
        TOPIC.assignments,
        TOPIC.leadOutcomes,
        TOPIC.referrals,
        TOPIC.partners,
      ]);
      const [a1, a2, a3, a4] = ['s1', 's2', 's3', 's4'].map(id);
      // L1 and L2: one family at one address; L3 elsewhere. L1 comes from partner p1 (its extra field).
      const l1 = scoredLead(id('sink-l1'), { street: '10 Oak', lastName: 'Rivera' }, id('p1'));
      const l2 = scoredLead(id('sink-l2'), { street: '10 Oak', lastName: 'Rivera' });
      const l3 = scoredLead(id('sink-l3'), { street: '99 Elm', lastName: 'Nguyen' });
      const records = [
        codec.encode(TOPIC.agents, a1!, anywhereAgent(a1!, { routingGroup: id('g1'), team: id('t1') })),
        codec.encode(TOPIC.agents, a2!, anywhereAgent(a2!, { routingGroup: id('g1') })),
        codec.encode(TOPIC.agents, a3!, anywhereAgent(a3!, { routingGroup: id('g2') })),
        codec.encode(TOPIC.agents, a4!, anywhereAgent(a4!, { routingGroup: id('g1'), team: id('t1') })),
        // a2 moves to g2; a4 is removed.
        codec.encode(TOPIC.agents, a2!, anywhereAgent(a2!, { routingGroup: id('g2') })),
        codec.encode(TOPIC.agents, a4!, null),
        ...[l1, l2, l3].map((lead) => codec.encode(TOPIC.leadsScored, lead.leadId, lead)),
        ...[
          assignment(l1, 1, 'offered', a1!),
          assignment(l1, 2, 'accepted', a1!),
          assignment(l1, 3, 'completed', a1!, 'sold'),
          assignment(l2, 1, 'offered', a2!),
          assignment(l2, 2, 'declined', a2!),
          assignment(l2, 3, 'reoffered', a1!),
          assignment(l2, 4, 'accepted', a1!),
        ].map((event) => codec.encode(TOPIC.assignments, event.leadId, event)),
        codec.encode(TOPIC.leadOutcomes, l2.leadId, outcome(l2.leadId, 'lost', a1!, 5_000)),
        codec.encode(TOPIC.referrals, l3.leadId, referral(l3.leadId, id('p2'), 'submitted')),
        codec.encode(TOPIC.partners, id('p1'), partner(id('p1'), 'Harbor Realty')),
      ];
      await transport.produce(records);
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        keys: vault,
        registry: harness.registry(transport),
        catalog,
        processors,
        log: testLog,
      });
      await pipeline.waitIdle();

      const expected = {
        nodes: { Lead: 3, Agent: 4, Vendor: 1, Partner: 2, RoutingGroup: 2, Team: 1, Household: 4 },
        relationships: {
          SUPPLIED: 3,
          REFERRED: 2,
          IN_HOUSEHOLD: 6,
          SAME_HOUSEHOLD: 1,
          MEMBER_OF: 4,
          OFFERED_TO: 3,
          ASSIGNED_TO: 2,
          CONVERTED_BY: 1,
        },
      };
      expect(await graphCounts(graph!)).toEqual(expected);
      const memberships = await graph!.query<{ agentId: string; groups: string[] }>(
        `MATCH (a:Agent) WHERE a.agentId STARTS WITH $run
         OPTIONAL MATCH (a)-[:MEMBER_OF]->(g)
         WITH a, g ORDER BY g.name
         RETURN a.agentId AS agentId, a.removed AS removed, collect(g.name) AS groups ORDER BY agentId`,
        { run },
      );
      expect(memberships).toEqual([
        { agentId: a1, removed: false, groups: [id('g1'), id('t1')] },
        { agentId: a2, removed: false, groups: [id('g2')] },
        { agentId: a3, removed: false, groups: [id('g2')] },
        { agentId: a4, removed: true, groups: [] },
      ]);
      const leads = await graph!.query<Record<string, unknown>>(
        `MATCH (l:Lead) WHERE l.leadId STARTS WITH $run
         RETURN l.leadId AS leadId, l.outcome AS outcome, l.line AS line, l.tier AS tier ORDER BY leadId`,
        { run },
      );
      expect(leads).toEqual([
        { leadId: l1.leadId, outcome: 'sold', line: l1.classification.line, tier: l1.score.tier },
        { leadId: l2.leadId, outcome: 'lost', line: l2.classification.line, tier: l2.score.tier },
        { leadId: l3.leadId, outcome: null, line: l3.classification.line, tier: l3.score.tier },
      ]);
      const declined = await graph!.query<{ response: string }>(
        'MATCH (:Lead {leadId: $lead})-[o:OFFERED_TO]->(:Agent {agentId: $agent}) RETURN o.response AS response',
        { lead: l2.leadId, agent: a2 },
      );
      expect(declined).toEqual([{ response: 'declined' }]);
      const partners = await graph!.query<Record<string, unknown>>(
        `MATCH (p:Partner) WHERE p.partnerId STARTS WITH $run
         RETURN p.partnerId AS partnerId, p.name AS name, p.status AS status ORDER BY partnerId`,
        { run },
      );
      expect(partners).toEqual([
        { partnerId: id('p1'), name: 'Harbor Realty', status: 'active' },
        { partnerId: id('p2'), name: null, status: null },
      ]);

      // The same records again, as after a crash before the commit: the graph must not change.
      await transport.produce(records);
      await pipeline.waitIdle();
      expect(await graphCounts(graph!)).toEqual(expected);
      await pipeline.stop();
    } finally {
      await harness.dispose();
    }
  });

  test("the graph job's factors on a hand-built graph", async () => {
    const [a1, a2, a3, b1] = ['f-a1', 'f-a2', 'f-a3', 'f-b1'].map(id) as [string, string, string, string];
    const agent = (agentId: string, routingGroup: string, team: string | null): AgentRow => ({
      agentId,
      name: agentId,
      status: 'active',
      vipTier: null,
      routingGroup: id(routingGroup),
      team: team === null ? null : id(team),
      lines: ['auto', 'home', 'life'],
      specialties: [],
      updatedAt: 1,
    });
    const lead = (name: string, line: string, households: string[] = []): LeadRow => ({
      leadId: id(name),
      vendorId: id('vendor'),
      line,
      state: 'TX',
      zip: '78701',
      score: 60,
      tier: 'B',
      receivedAt: 1,
      households: households.map(id),
    });
    // Who worked which lead and how it ended (null: still open).
    const history: [string, string, string, 'sold' | 'lost' | 'quoted'][] = [
      ['L1', 'auto', a1, 'sold'],
      ['L2', 'auto', a1, 'lost'],
      ['L3', 'auto', a1, 'lost'],
      ['L11', 'auto', a1, 'lost'],
      ['L4', 'home', a1, 'lost'],
      ['L5', 'auto', a2, 'lost'],
      ['L6', 'auto', a2, 'sold'],
      ['L7', 'auto', a2, 'quoted'],
      ['L9', 'auto', a3, 'lost'],
      ['L10', 'life', a3, 'lost'],
      ['L8', 'auto', b1, 'sold'],
    ];
    const batch: GraphBatch = {
      // L1 (a1's) and L5 (a2's) are one household.
      leads: history.map(([name, line]) =>
        lead(name, line, name === 'L1' || name === 'L5' ? ['house-1'] : []),
      ),
      referrals: [
        { partnerId: id('P1'), leadId: id('L1'), status: 'converted' },
        { partnerId: id('P1'), leadId: id('L2'), status: 'submitted' },
        { partnerId: id('P2'), leadId: id('L6'), status: null },
        { partnerId: id('P3'), leadId: id('L6'), status: 'rejected' },
      ],
      partners: [],
      agents: [agent(a1, 'G1', 'T1'), agent(a2, 'G1', 'T1'), agent(a3, 'G1', null), agent(b1, 'G2', null)],
      removedAgents: [],
      offers: [],
      responses: [],
      assigned: history.map(([name, , agentId]) => ({ leadId: id(name), agentId, at: 10 })),
      outcomes: history.map(([name, , agentId, status]) => ({ leadId: id(name), agentId, status, at: 20 })),
    };
    await graph!.write(batch);

    const features = agentFeatures(await graph!.readFacts(), 42, GRAPH_JOB_SOURCE).filter((f) =>
      f.agentId.startsWith(id('f-')),
    );
    // G1 closed 9 leads (L7 is open), sold 2: 2/9 = 0.222 -> 0.222 / 0.3 (CONVERSION_TARGET) = 0.7407.
    // a1 and a2 share a household (L1, L5) and are each other's only teammate (team T1): +0.2 * 1.
    // a3 has no team, so its teammates are G1's a1 and a2, with no household shared: +0.
    // a1's auto: 4 closed, 1 sold -> 0.25 / 0.3 = 0.8333; its 1 home lead, and a2's and a3's lines,
    // are under MIN_CLOSED_LEADS (3): left out. G2 closed 1 lead: no team strength.
    // Referral ties: P1 (L1 converted by a1), P2 (L6 by a2); P3's referral was rejected.
    expect(features).toEqual([
      {
        agentId: a1,
        referralPartners: [id('P1')],
        teamStrength: 0.9407,
        similarLeadSuccess: { auto: 0.8333 },
        computedAt: 42,
        source: GRAPH_JOB_SOURCE,
      },
      {
        agentId: a2,
        referralPartners: [id('P2')],
        teamStrength: 0.9407,
        similarLeadSuccess: {},
        computedAt: 42,
        source: GRAPH_JOB_SOURCE,
      },
      {
        agentId: a3,
        referralPartners: [],
        teamStrength: 0.7407,
        similarLeadSuccess: {},
        computedAt: 42,
        source: GRAPH_JOB_SOURCE,
      },
      {
        agentId: b1,
        referralPartners: [],
        teamStrength: null,
        similarLeadSuccess: {},
        computedAt: 42,
        source: GRAPH_JOB_SOURCE,
      },
    ]);

    // Writing the same batch again changes no factor.
    await graph!.write(batch);
    const again = agentFeatures(await graph!.readFacts(), 42, GRAPH_JOB_SOURCE).filter((f) =>
      f.agentId.startsWith(id('f-')),
    );
    expect(again).toEqual(features);
  });

  test('features reach agent.features and match ranks with them', async () => {
    const harness = embedded.create();
    try {
      const transport = harness.connect();
      const config = parseRoutingConfig(`
defaults:
  weights: { specialisation: 0, distance: 0, conversion: 0, responseTime: 0, acceptance: 0, load: 0,
             tierFit: 0, vip: 0, referral: 1, team: 1, similarSuccess: 0 }
`);
      const processors = [...neo4jSinks(graph!, testBlind), matchProcessor(config)];
      const catalog = platformCatalog();
      await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
      const { codec, vault } = await codecFor(transport, catalog, [
        TOPIC.agents,
        TOPIC.leadsScored,
        TOPIC.assignments,
        TOPIC.leadOutcomes,
        TOPIC.agentFeatures,
      ]);
      const [x1, x2] = [id('e2e-x1'), id('e2e-x2')] as [string, string];
      const partner = id('e2e-partner');
      const group = id('e2e');
      // History: x1 closed four leads of its group and sold the one partner e2e-partner referred.
      const history = [1, 2, 3, 4].map((n) =>
        scoredLead(id(`e2e-h${n}`), { street: `${n} Pine`, lastName: 'Lee' }, n === 1 ? partner : null),
      );
      await transport.produce([
        ...[x1, x2].map((agentId) =>
          codec.encode(TOPIC.agents, agentId, anywhereAgent(agentId, { routingGroup: group })),
        ),
        ...history.map((lead) => codec.encode(TOPIC.leadsScored, lead.leadId, lead)),
        ...history.map((lead) =>
          codec.encode(TOPIC.assignments, lead.leadId, {
            ...assignment(lead, 1, 'accepted', x1),
            routingGroup: group,
          }),
        ),
        ...history.map((lead, i) =>
          codec.encode(
            TOPIC.leadOutcomes,
            lead.leadId,
            outcome(lead.leadId, i === 0 ? 'sold' : 'lost', x1, 9_000),
          ),
        ),
      ]);
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        keys: vault,
        registry: harness.registry(transport),
        catalog,
        processors,
        log: testLog,
      });
      await pipeline.waitIdle();

      const job = new GraphJob(
        graph!,
        transport,
        await graphJobCodec(transport, harness.registry(transport)),
        testLog,
      );
      const first = await job.runOnce();
      // 1 sold of 4 closed: 0.25 / 0.3 = 0.8333 for the group; no household shared.
      expect(first.features.filter((f) => f.agentId.startsWith(id('e2e-')))).toMatchObject([
        { agentId: x1, referralPartners: [partner], teamStrength: 0.8333 },
        { agentId: x2, referralPartners: [], teamStrength: 0.8333 },
      ]);
      await job.runOnce();
      const published = (
        await readValues<AgentFeatures | null>(transport, codec, TOPIC.agentFeatures)
      ).filter((f) => f !== null && (f.agentId === x1 || f.agentId === x2));
      // Unchanged features are not published again.
      expect(published).toHaveLength(2);

      // A new lead from the same partner: match reads the features (a global table that follows
      // the topic, so the first leads may arrive before it has them) and ranks x1 first.
      let attempt = 0;
      let matched: LeadMatched | undefined;
      await eventually(
        async () => {
          const lead = scoredLead(id(`e2e-new${attempt++}`), { street: '1 New', lastName: 'Kim' }, partner);
          await transport.produce([codec.encode(TOPIC.leadsScored, lead.leadId, lead)]);
          await pipeline.waitIdle();
          matched = (await readValues<LeadMatched>(transport, codec, TOPIC.leadsMatched)).find(
            (m) => m.leadId === lead.leadId,
          );
          const referral = matched?.candidates[0]?.factors.find((f) => f.name === 'referral');
          return referral?.value === 1;
        },
        60_000,
        'match to rank with the published features',
      );
      const factor = (agentId: string, name: string) =>
        matched!.candidates.find((c) => c.agentId === agentId)!.factors.find((f) => f.name === name)!.value;
      expect(matched!.candidates.map((c) => c.agentId)).toEqual([x1, x2]);
      expect(factor(x1, 'referral')).toBe(1);
      expect(factor(x2, 'referral')).toBe(0);
      expect(factor(x1, 'team')).toBe(0.8333);
      expect(factor(x2, 'team')).toBe(0.8333);
      await pipeline.stop();
    } finally {
      await harness.dispose();
    }
  });
});
