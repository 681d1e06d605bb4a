/**
 * Routing end to end on both transports: a scored lead through match, assign and the ledger,
 * offers that lapse, are declined and accepted by agents answering on agent.responses; a replayed
 * record that must not make a second offer nor a second ledger entry; and assign killed with
 * SIGKILL in the middle of offers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import type { RecordCodec } from '../../runtime/codec';
import type { Follower } from '../../runtime/transport';
import { partitionFor } from '../../runtime/partitioner';
import { Pipeline } from '../../runtime/pipeline';
import { HEADER } from '../../runtime/records';
import type { Transport } from '../../runtime/transport';
import { INSURANCE_LINES } from '../../schemas/lead';
import { US_STATES } from '../../schemas/us-states';
import { postgresSinks } from '../../sinks/postgres/processors';
import { getLead } from '../../sinks/postgres/read-models';
import { databasesUnderTest } from '../../test/sinks/databases';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../../test/support/harness';
import { LEAD_PARTITIONS, platformCatalog, TOPIC } from '../../topics/platform';
import { enrichLead } from '../enrich/enrich';
import { matchProcessor } from '../match/processor';
import type { Agent, AgentPerformance, LeadMatched } from '../../schemas/routing-records';
import { parseRoutingConfig } from '../match/routing-config';
import { testAgent, testMatched } from '../../tools/routing-fixtures';
import type { ScoredLead } from '../../schemas/score-records';
import { scoreLead } from '../score/score';
import { DEFAULT_CONSENT_MAX_AGE_DAYS, validateLead } from '../validate/rules';
import { assignProcessor } from './processor';
import { ledgerProcessor } from '../ledger/processor';
import { parseEconomicsConfig } from '../ledger/economics';
import type { LedgerEntry } from '../../schemas/ledger-records';
import type { AgentResponse, AssignmentEvent } from '../../schemas/assignment-records';

jest.setTimeout(240_000);

const ALL_STATES = US_STATES.map((s) => s.code);

/** Licensed everywhere for everything, working around the clock (UTC), so any generated lead fits. */
function anywhereAgent(agentId: string, overrides: Partial<Agent> = {}): Agent {
  return testAgent({
    agentId,
    licences: Object.fromEntries(INSURANCE_LINES.map((line) => [line, ALL_STATES])),
    location: null,
    workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    queueOutsideHours: true,
    ...overrides,
  });
}

/** A real scored lead: generated, validated, enriched and scored by the pipeline's own functions. */
function scoredLead(seed: string, now: number): ScoredLead {
  const { leads } = generateLeads({ count: 1, seed, badShare: 0, now });
  const raw = toRawLead(leads[0], {
    vendorId: 'acme-leads',
    channel: 'test',
    receivedAt: now,
    leadId: `lead-${seed}`,
  });
  const valid = validateLead(raw, { now, consentMaxAgeDays: DEFAULT_CONSENT_MAX_AGE_DAYS });
  if (valid.status !== 'valid') throw new Error('generated lead did not validate');
  return scoreLead(enrichLead(valid.lead, now), new Scorer(loadDefaultModel()), now);
}

/** Follows the assignments topic, decoding events and handing each one to `onEvent`. */
function followAssignments(
  transport: Transport,
  codec: RecordCodec,
  onEvent: (event: AssignmentEvent) => Promise<void> | void,
): { events: AssignmentEvent[]; follower: Follower } {
  const events: AssignmentEvent[] = [];
  const follower = transport.follow(TOPIC.assignments, async (records) => {
    for (const raw of records) {
      const event = (await codec.decode<AssignmentEvent>(raw)).value;
      events.push(event);
      await onEvent(event);
    }
  });
  return { events, follower };
}

function response(
  event: AssignmentEvent,
  answer: AgentResponse['response'],
  extra: Partial<AgentResponse> = {},
): AgentResponse {
  return {
    responseId: `${event.offerId}/${answer}/${extra.outcome ?? ''}`,
    routingGroup: event.routingGroup!,
    leadId: event.leadId,
    offerId: event.offerId!,
    agentId: event.agentId!,
    response: answer,
    outcome: null,
    reason: null,
    respondedAt: Date.now(),
    channel: 'test',
    ...extra,
  };
}

const label = (e: AssignmentEvent) => `${e.type}${e.agentId ? `:${e.agentId}` : ''}`;

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`routing flow: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('offer, lapse, decline, accept, priced; a replayed record and a repeated answer change nothing', async () => {
      const harness = choice.create();
      try {
        const transport = harness.connect();
        const config = parseRoutingConfig(`
defaults:
  offerTimeoutSeconds: 2
  staleAfterMinutes: 10
  weights: { specialisation: 0, distance: 0, conversion: 0, responseTime: 0, acceptance: 0, load: 0,
             tierFit: 0, vip: 1, referral: 0, team: 0, similarSuccess: 0 }
`);
        const pricing = parseEconomicsConfig(`
paid: { rules: [{ name: acme, vendor: acme-leads, priceCents: 2600 }] }
charged:
  defaultPlan: vip
  plans: { vip: { vipTiers: { none: 3000, silver: 3100, gold: 3200, platinum: 3300, diamond: 3400 } } }
`);
        const processors = [
          matchProcessor(config, pricing),
          assignProcessor(config, pricing),
          ledgerProcessor(),
        ] as never[];
        const catalog = platformCatalog();
        await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
        const { codec, vault } = await codecFor(transport, catalog, [
          TOPIC.agents,
          TOPIC.leadsScored,
          TOPIC.leadsMatched,
          TOPIC.agentResponses,
        ]);
        await transport.produce(
          [
            anywhereAgent('a', { vipTier: 'diamond' }),
            anywhereAgent('b', { vipTier: 'gold' }),
            anywhereAgent('c', { vipTier: 'silver' }),
          ].map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)),
        );
        const pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          keys: vault,
          registry: harness.registry(transport),
          catalog,
          processors,
          log: testLog,
        });
        const answer = (r: AgentResponse) =>
          transport.produce([codec.encode(TOPIC.agentResponses, r.routingGroup, r)]);
        // a lets its offer lapse, b declines, c accepts.
        const { events, follower } = followAssignments(transport, codec, async (event) => {
          if (event.type === 'reoffered' && event.agentId === 'b') await answer(response(event, 'decline'));
          if (event.type === 'reoffered' && event.agentId === 'c') await answer(response(event, 'accept'));
        });
        const lead = scoredLead(`flow-${choice.kind}`, Date.now());
        await transport.produce([codec.encode(TOPIC.leadsScored, lead.leadId, lead)]);
        await eventually(() => events.some((e) => e.type === 'accepted'), 60_000, 'the lead to be accepted');
        expect(events.map(label)).toEqual([
          'offered:a',
          'expired:a',
          'reoffered:b',
          'declined:b',
          'reoffered:c',
          'accepted:c',
        ]);
        expect(events.map((e) => e.eventId)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${lead.leadId}:${n}`));
        expect(new Set(events.map((e) => e.leadId))).toEqual(new Set([lead.leadId]));

        // The same leads.matched record again, and c's accept again: nothing new may happen.
        const [matched] = await readValues<LeadMatched>(transport, codec, TOPIC.leadsMatched);
        expect(matched!.candidates.map((c) => c.agentId)).toEqual(['a', 'b', 'c']);
        await transport.produce([codec.encode(TOPIC.leadsMatched, matched!.routingGroup!, matched)]);
        await answer(response(events.at(-1)!, 'accept'));
        await pipeline.waitIdle();
        await new Promise((resolve) => setTimeout(resolve, 500));
        await pipeline.waitIdle();
        expect(events.map(label)).toHaveLength(6);

        const performance = await readValues<AgentPerformance>(transport, codec, TOPIC.agentPerformance);
        const latest = new Map(performance.map((p) => [p.agentId, p]));
        expect(latest.get('a')).toMatchObject({ offers: 1, expired: 1 });
        expect(latest.get('b')).toMatchObject({ offers: 1, declined: 1 });
        expect(latest.get('c')).toMatchObject({
          offers: 1,
          accepted: 1,
          load: { acceptedToday: 1, active: 1 },
        });

        // Every event carries the price paid; the acceptance the price charged; one entry of each.
        expect(
          events.every((e) => e.lead.pricePaidCents === 2600 && e.lead.pricePaidRule === 'rule:acme'),
        ).toBe(true);
        expect(events.at(-1)).toMatchObject({ priceChargedCents: 3100, priceChargedRule: 'plan:vip:silver' });
        const ledger = await readValues<LedgerEntry>(transport, codec, TOPIC.ledger);
        expect(ledger.map((e) => [e.entryId, e.kind, e.partyId, e.amountCents])).toEqual([
          [`${lead.leadId}:cost`, 'cost', 'acme-leads', 2600],
          [`${lead.leadId}:6:revenue`, 'revenue', 'c', 3100],
        ]);
        await follower.stop();
        await pipeline.stop();
      } finally {
        await harness.dispose();
      }
    });

    test('a lead unroutable at first is offered once an agent exists, under event ids of its own the read models show; no second offer after the agent changes group', async () => {
      const harness = choice.create();
      // PGlite belongs to one process; with Kafka the sinks write to PostgreSQL, as in production.
      const database = databasesUnderTest().find(
        (d) => d.kind === (choice.kind === 'kafka' ? 'postgres' : 'pglite'),
      )!;
      if (database.gate.reason) throw new Error(database.gate.reason);
      const { db, dispose } = await database.open();
      try {
        const transport = harness.connect();
        const config = parseRoutingConfig('defaults: { offerTimeoutSeconds: 3600 }');
        const processors = [
          matchProcessor(config),
          assignProcessor(config),
          ...postgresSinks(db).filter((p) => p.name === 'postgres-leads' || p.name === 'postgres-routing'),
        ] as never[];
        const catalog = platformCatalog();
        await transport.applyTopics(catalog.withProcessors(harness.prefix, processors).all());
        const { codec, vault } = await codecFor(transport, catalog, [TOPIC.agents, TOPIC.leadsScored]);
        const start = () =>
          Pipeline.start({
            appId: harness.prefix,
            transport,
            keys: vault,
            registry: harness.registry(transport),
            catalog,
            processors,
            log: testLog,
          });
        const lead = scoredLead(`reroute-${choice.kind}`, Date.now());
        // Three different assign tasks: the unroutable lead's, and each group's.
        const [first, second] = ['north', 'east'];
        expect(new Set([lead.leadId, first, second].map((k) => partitionFor(k, LEAD_PARTITIONS))).size).toBe(
          3,
        );
        const { events, follower } = followAssignments(transport, codec, () => undefined);
        // What a replay of score sends: the lead's scored record again, marked as a replay.
        const rescore = () =>
          transport.produce([codec.encode(TOPIC.leadsScored, lead.leadId, lead, { [HEADER.replay]: '1' })]);
        const setAgent = (group: string) =>
          transport.produce([codec.encode(TOPIC.agents, 'a', anywhereAgent('a', { routingGroup: group }))]);

        let pipeline = await start();
        await transport.produce([codec.encode(TOPIC.leadsScored, lead.leadId, lead)]);
        await eventually(() => events.length === 1, 60_000, 'the lead to be unroutable');
        // Restarts load the agents tables as they are now.
        await pipeline.stop();
        await setAgent(first);
        pipeline = await start();
        await rescore();
        await eventually(() => events.length === 2, 60_000, 'the lead to be offered');
        await pipeline.stop();
        await setAgent(second);
        pipeline = await start();
        await rescore();
        await pipeline.waitIdle();
        await pipeline.stop();
        await follower.stop();

        const committed = await readValues<AssignmentEvent>(transport, codec, TOPIC.assignments);
        expect(committed.map(label)).toEqual(['unroutable', 'offered:a']);
        expect(new Set(committed.map((e) => e.eventId)).size).toBe(2);
        const rows = await db.query<{ event_id: string; status: string; agent_id: string }>(
          'SELECT event_id, status, agent_id FROM assignments ORDER BY occurred_at, event_id',
        );
        expect(rows.rows).toEqual(
          committed.map((e) => ({ event_id: e.eventId, status: e.type, agent_id: e.agentId ?? '' })),
        );
        expect(await getLead(db, lead.leadId)).toMatchObject({
          stage: 'matched',
          assignment: { agentId: 'a' },
        });
      } finally {
        await dispose();
        await harness.dispose();
      }
    });

    test('assign killed in the middle of offers: no duplicate offers or acceptances, caps hold', async () => {
      const harness = choice.create();
      const children: ChildProcess[] = [];
      try {
        const transport = harness.connect();
        const routing = `
defaults:
  offerTimeoutSeconds: 1.5
  staleAfterMinutes: 0.25
  capacityRetrySeconds: 0.5
  workWindowMinutes: 0.05
  escalation: [manual_queue]
`;
        const catalog = platformCatalog();
        const assign = assignProcessor(parseRoutingConfig(routing));
        await transport.applyTopics(catalog.withProcessors(harness.prefix, [assign as never]).all());
        const { codec } = await codecFor(transport, catalog, [
          TOPIC.agents,
          TOPIC.leadsMatched,
          TOPIC.agentResponses,
        ]);
        const ids = ['a', 'b', 'c', 'd'];
        const caps = new Map(ids.map((id, i) => [id, { daily: 4 + i, concurrent: 1 + (i % 2) }]));
        const agents = ids.map((id) => anywhereAgent(id, { capacity: caps.get(id)! }));
        await transport.produce(agents.map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)));

        const leadCount = choice.kind === 'kafka' ? 24 : 40;
        const now = Date.now();
        const records = Array.from({ length: leadCount }, (_, i) => {
          const candidates = ids.filter((_, j) => (i + j) % 4 !== 3); // three of the four agents each
          return testMatched(`crash-${i}`, 'west', candidates, now);
        });

        // Agents: accept most offers, decline some, ignore a few, and answer some twice.
        let seen = 0;
        const respond = async (event: AssignmentEvent) => {
          if (event.type !== 'offered' && event.type !== 'reoffered') return;
          seen++;
          const roll = (seen * 7919) % 10;
          if (roll === 0) return; // let it lapse
          const r = response(event, roll < 8 ? 'accept' : 'decline');
          const encoded = codec.encode(TOPIC.agentResponses, r.routingGroup, r);
          await transport.produce(roll % 3 === 0 ? [encoded, encoded] : [encoded]);
        };
        const { events, follower } = followAssignments(transport, codec, respond);
        const offers = () => events.filter((e) => e.type === 'offered' || e.type === 'reoffered').length;
        const finished = () => {
          const done = new Set(
            events
              .filter(
                (e) => e.type === 'accepted' || (e.type === 'escalated' && e.escalation === 'manual_queue'),
              )
              .map((e) => e.leadId),
          );
          return done.size === leadCount;
        };

        const start = async () => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', path.join(__dirname, '..', '..', 'test', 'support', 'assign-child.ts')],
            {
              env: {
                ...process.env,
                ...harness.childEnv(),
                TEST_PREFIX: harness.prefix,
                ROUTING_CONFIG: routing,
              },
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          children.push(child);
          await waitForLine(child, 'ready');
          return child;
        };
        const kill = async (child: ChildProcess) => {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve));
        };

        let child = await start();
        await transport.produce(records.map((r) => codec.encode(TOPIC.leadsMatched, r.routingGroup!, r)));
        // Three kills, each right after new offers went out and before all were answered.
        for (let round = 1; round <= 3; round++) {
          const before = offers();
          await eventually(() => offers() >= before + 3 || finished(), 90_000, `offers before kill ${round}`);
          await kill(child);
          child = await start();
        }
        await eventually(finished, 180_000, 'every lead accepted or queued for a person').catch((error) => {
          const done = (id: string) =>
            events.some(
              (e) =>
                e.leadId === id &&
                (e.type === 'accepted' || (e.type === 'escalated' && e.escalation === 'manual_queue')),
            );
          const stuck = records
            .map((r) => r.leadId)
            .filter((id) => !done(id))
            .map((id) =>
              events
                .filter((e) => e.leadId === id)
                .map((e) => `${e.eventId} ${e.type} ${e.agentId ?? ''} ${e.at}`),
            );
          throw new Error(
            `${(error as Error).message}; unfinished: ${JSON.stringify(stuck)}; now ${Date.now()}`,
          );
        });
        // Replays of every matched record after the crashes: no lead may be offered again.
        const isOffer = (e: AssignmentEvent) => e.type === 'offered' || e.type === 'reoffered';
        const offersBefore = new Set(events.filter(isOffer).map((e) => e.eventId));
        await transport.produce(records.map((r) => codec.encode(TOPIC.leadsMatched, r.routingGroup!, r)));
        await new Promise((resolve) => setTimeout(resolve, 3000));
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
        await follower.stop();
        const committed = await readValues<AssignmentEvent>(transport, codec, TOPIC.assignments);
        // Any offer made after every lead was done, with its lead's whole history to show why.
        const late = committed.filter((e) => isOffer(e) && !offersBefore.has(e.eventId));
        expect(
          late.map((e) => ({
            offer: e.eventId,
            history: committed
              .filter((h) => h.leadId === e.leadId)
              .map((h) => `${h.eventId} ${h.type} ${h.agentId ?? ''} ${h.escalation ?? h.reason ?? ''}`),
          })),
        ).toEqual([]);

        // Exactly once: every event once, each lead's events numbered 1..n without gaps.
        expect(new Set(committed.map((e) => e.eventId)).size).toBe(committed.length);
        const byLead = new Map<string, AssignmentEvent[]>();
        for (const e of committed) byLead.set(e.leadId, [...(byLead.get(e.leadId) ?? []), e]);
        for (const [leadId, list] of byLead) {
          expect(list.map((e) => e.eventId)).toEqual(list.map((_, i) => `${leadId}:${i + 1}`));
          const offerIds = list
            .filter((e) => e.type === 'offered' || e.type === 'reoffered')
            .map((e) => e.offerId);
          expect(new Set(offerIds).size).toBe(offerIds.length);
          expect(list.filter((e) => e.type === 'accepted').length).toBeLessThanOrEqual(1);
        }
        expect(byLead.size).toBe(leadCount);
        auditCaps(committed, caps);
        expect(committed.filter((e) => e.type === 'accepted').length).toBeGreaterThan(0);
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
        await harness.dispose();
      }
    });
  });
}

const FREES_A_PLACE = new Set(['declined', 'expired', 'withdrawn', 'progressed', 'completed', 'released']);

/**
 * Independent counters over the committed events: the caps held at every offer and acceptance.
 * Events of different leads sit in different partitions, so they are put in time order; within
 * the same millisecond a place freed (a decline, say) comes before an offer, as assign can free a
 * place and fill it in one step.
 */
function auditCaps(events: AssignmentEvent[], caps: Map<string, { daily: number; concurrent: number }>) {
  const open = new Map<string, Set<string>>();
  const active = new Map<string, Set<string>>();
  const accepted = new Map<string, number>();
  const set = (map: Map<string, Set<string>>, id: string) => map.get(id) ?? map.set(id, new Set()).get(id)!;
  const order = (e: AssignmentEvent) => (FREES_A_PLACE.has(e.type) ? 0 : e.type === 'accepted' ? 1 : 2);
  for (const e of [...events].sort((a, b) => a.at - b.at || order(a) - order(b))) {
    const id = e.agentId!;
    if (e.type === 'offered' || e.type === 'reoffered') {
      set(open, id).add(e.leadId);
      expect(set(open, id).size + set(active, id).size).toBeLessThanOrEqual(caps.get(id)!.concurrent);
      expect((accepted.get(id) ?? 0) + set(open, id).size).toBeLessThanOrEqual(caps.get(id)!.daily);
    } else if (e.type === 'accepted') {
      set(open, id).delete(e.leadId);
      set(active, id).add(e.leadId);
      accepted.set(id, (accepted.get(id) ?? 0) + 1);
    } else if (e.type === 'declined' || e.type === 'expired' || e.type === 'withdrawn') {
      set(open, id).delete(e.leadId);
    } else if (e.type === 'progressed' || e.type === 'completed' || e.type === 'released') {
      set(active, id).delete(e.leadId);
    }
  }
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before "${line}"`)));
  });
}
