/**
 * All of leadflow's Cypher: the graph's constraints, the sink's batched writes and the graph job's
 * queries. Writes are `UNWIND $rows ... MERGE` over the rows of `graph-records.ts`, so writing a
 * batch again (a redelivery after a crash) leaves the graph as it was.
 */

/** Uniqueness constraints (each also indexes its key), created at start; idempotent. */
export const SCHEMA = [
  'CREATE CONSTRAINT lead_id IF NOT EXISTS FOR (n:Lead) REQUIRE n.leadId IS UNIQUE',
  'CREATE CONSTRAINT agent_id IF NOT EXISTS FOR (n:Agent) REQUIRE n.agentId IS UNIQUE',
  'CREATE CONSTRAINT vendor_id IF NOT EXISTS FOR (n:Vendor) REQUIRE n.vendorId IS UNIQUE',
  'CREATE CONSTRAINT partner_id IF NOT EXISTS FOR (n:Partner) REQUIRE n.partnerId IS UNIQUE',
  'CREATE CONSTRAINT routing_group_name IF NOT EXISTS FOR (n:RoutingGroup) REQUIRE n.name IS UNIQUE',
  'CREATE CONSTRAINT team_name IF NOT EXISTS FOR (n:Team) REQUIRE n.name IS UNIQUE',
  'CREATE CONSTRAINT household_key IF NOT EXISTS FOR (n:Household) REQUIRE n.key IS UNIQUE',
] as const;

/** The sink's statements, in the order one batch runs them (in one transaction). */
export const WRITE = {
  // The write lock on each household (SET/REMOVE) makes a concurrent batch with a lead of the
  // same household wait for this one to commit, so `households` below always sees both leads.
  leads: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    SET l.vendorId = row.vendorId, l.line = row.line, l.state = row.state, l.zip = row.zip,
        l.score = row.score, l.tier = row.tier, l.receivedAt = row.receivedAt
    MERGE (v:Vendor {vendorId: row.vendorId})
    MERGE (v)-[:SUPPLIED]->(l)
    WITH l, row
    UNWIND row.households AS key
    MERGE (h:Household {key: key})
    SET h._lock = true
    REMOVE h._lock
    MERGE (l)-[:IN_HOUSEHOLD]->(h)`,
  referrals: `
    UNWIND $rows AS row
    MERGE (p:Partner {partnerId: row.partnerId})
    MERGE (l:Lead {leadId: row.leadId})
    MERGE (p)-[r:REFERRED]->(l)
    SET r.status = coalesce(row.status, r.status)`,
  partners: `
    UNWIND $rows AS row
    MERGE (p:Partner {partnerId: row.partnerId})
    SET p.name = coalesce(row.name, p.name), p.status = row.status`,
  // One SAME_HOUSEHOLD per pair of leads, from the smaller lead id to the larger.
  households: `
    UNWIND $leadIds AS leadId
    MATCH (l:Lead {leadId: leadId})-[:IN_HOUSEHOLD]->(:Household)<-[:IN_HOUSEHOLD]-(o:Lead)
    WITH DISTINCT l, o
    WITH CASE WHEN l.leadId < o.leadId THEN l ELSE o END AS a,
         CASE WHEN l.leadId < o.leadId THEN o ELSE l END AS b
    MERGE (a)-[:SAME_HOUSEHOLD]->(b)`,
  // An agent that moved leaves its old group and team.
  agents: `
    UNWIND $rows AS row
    MERGE (a:Agent {agentId: row.agentId})
    SET a.name = row.name, a.status = row.status, a.vipTier = row.vipTier, a.lines = row.lines,
        a.specialties = row.specialties, a.updatedAt = row.updatedAt, a.removed = false
    WITH a, row
    OPTIONAL MATCH (a)-[m:MEMBER_OF]->(g)
    WHERE (g:RoutingGroup AND g.name <> row.routingGroup) OR (g:Team AND (row.team IS NULL OR g.name <> row.team))
    DELETE m
    WITH DISTINCT a, row
    MERGE (g:RoutingGroup {name: row.routingGroup})
    MERGE (a)-[:MEMBER_OF]->(g)
    FOREACH (team IN CASE WHEN row.team IS NULL THEN [] ELSE [row.team] END |
      MERGE (t:Team {name: team})
      MERGE (a)-[:MEMBER_OF]->(t))`,
  removedAgents: `
    UNWIND $agentIds AS agentId
    MERGE (a:Agent {agentId: agentId})
    SET a.removed = true
    WITH a
    OPTIONAL MATCH (a)-[m:MEMBER_OF]->()
    DELETE m`,
  offers: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    MERGE (a:Agent {agentId: row.agentId})
    MERGE (l)-[o:OFFERED_TO]->(a)
    ON CREATE SET o.at = row.at, o.rankScore = row.rankScore`,
  responses: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    MERGE (a:Agent {agentId: row.agentId})
    MERGE (l)-[o:OFFERED_TO]->(a)
    SET o.response = row.response, o.respondedAt = row.at`,
  assigned: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    MERGE (a:Agent {agentId: row.agentId})
    MERGE (l)-[r:ASSIGNED_TO]->(a)
    ON CREATE SET r.at = row.at`,
  // The latest outcome wins whatever order outcomes arrive in (they come from two topics).
  outcomes: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    WITH l, row
    WHERE l.outcomeAt IS NULL OR row.at >= l.outcomeAt
    SET l.outcome = row.status, l.outcomeAt = row.at`,
  conversions: `
    UNWIND $rows AS row
    MERGE (l:Lead {leadId: row.leadId})
    MERGE (a:Agent {agentId: row.agentId})
    MERGE (l)-[c:CONVERTED_BY]->(a)
    ON CREATE SET c.at = row.at`,
} as const;

/**
 * What erasing leads leaves of them (privacy.erasures): the node, its id and routing facts (vendor,
 * line, state, score, tier, outcome) and its offers, assignments and referrals, so the graph job's
 * figures stay; not its ZIP, nor its household links (the keys are hashes of its address and
 * name). A household no lead is left in goes. Households are locked before they are checked, as
 * `WRITE.leads` locks them, so a lead joining one concurrently is never left with it deleted.
 */
const ERASE_TAIL = `
    REMOVE l.zip
    WITH collect(DISTINCT l) AS leads
    UNWIND leads AS l
    OPTIONAL MATCH (l)-[s:SAME_HOUSEHOLD]-()
    WITH leads, collect(DISTINCT s) AS links
    FOREACH (s IN links | DELETE s)
    WITH leads
    UNWIND leads AS l
    OPTIONAL MATCH (l)-[m:IN_HOUSEHOLD]->(h:Household)
    WITH collect(DISTINCT m) AS memberships, collect(DISTINCT h) AS households
    FOREACH (m IN memberships | DELETE m)
    WITH households
    UNWIND households AS h
    SET h._lock = true
    REMOVE h._lock
    WITH h
    WHERE NOT EXISTS { (h)<-[:IN_HOUSEHOLD]-() }
    DELETE h`;

export const ERASE = {
  // A lead not in the graph yet gets its node now, marked, so the record that brings it later is
  // erased as it is written (`again`).
  leads: `
    UNWIND $leadIds AS leadId
    MERGE (l:Lead {leadId: leadId})
    SET l.erased = true
    WITH l${ERASE_TAIL}`,
  // Run by each batch of the sink after its writes, in its transaction: leads it wrote that were
  // erased before (a late record, a rebuild of the graph) lose what the batch gave them again.
  again: `
    UNWIND $leadIds AS leadId
    MATCH (l:Lead {leadId: leadId})
    WHERE l.erased = true
    WITH l${ERASE_TAIL}`,
} as const;

/**
 * The graph job's queries. A lead is closed once its outcome is sold or lost; an agent's leads are
 * those assigned to or converted by it. Each returns plain rows that `features.ts` maps.
 */
export const FEATURE_QUERIES = {
  /** Agents in a routing group (removed agents have none), with their team. */
  agents: `
    MATCH (a:Agent)-[:MEMBER_OF]->(g:RoutingGroup)
    OPTIONAL MATCH (a)-[:MEMBER_OF]->(t:Team)
    RETURN a.agentId AS agentId, g.name AS routingGroup, t.name AS team`,
  /** Per agent and line: the agent's closed leads and how many of them the agent sold. */
  closedByLine: `
    MATCH (l:Lead)-[:ASSIGNED_TO|CONVERTED_BY]->(a:Agent)
    WHERE l.outcome IN ['sold', 'lost'] AND l.line IS NOT NULL
    WITH DISTINCT a, l
    RETURN a.agentId AS agentId, l.line AS line, count(l) AS closed,
           sum(CASE WHEN EXISTS { (l)-[:CONVERTED_BY]->(a) } THEN 1 ELSE 0 END) AS sold`,
  /** Per routing group: the closed leads of its agents, and how many were sold. */
  groupOutcomes: `
    MATCH (g:RoutingGroup)<-[:MEMBER_OF]-(:Agent)<-[:ASSIGNED_TO|CONVERTED_BY]-(l:Lead)
    WHERE l.outcome IN ['sold', 'lost']
    WITH g, collect(DISTINCT l) AS leads
    RETURN g.name AS routingGroup, size(leads) AS closed,
           size([l IN leads WHERE l.outcome = 'sold']) AS sold`,
  /** Partners whose referred leads the agent converted, with how many; rejected referrals aside. */
  referralTies: `
    MATCH (p:Partner)-[r:REFERRED]->(l:Lead)-[:CONVERTED_BY]->(a:Agent)
    WHERE coalesce(r.status, '') <> 'rejected'
    RETURN a.agentId AS agentId, p.partnerId AS partnerId, count(DISTINCT l) AS converted`,
  /** Other agents that worked a lead of the same household as one of the agent's leads. */
  householdPartners: `
    MATCH (a:Agent)<-[:ASSIGNED_TO|CONVERTED_BY]-(:Lead)-[:SAME_HOUSEHOLD]-(:Lead)-[:ASSIGNED_TO|CONVERTED_BY]->(b:Agent)
    WHERE a <> b
    RETURN a.agentId AS agentId, collect(DISTINCT b.agentId) AS agentIds`,
} as const;
