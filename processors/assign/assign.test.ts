import fc from 'fast-check';
import type { Agent, AgentPerformance, LeadMatched } from '../../schemas/routing-records';
import { parseRoutingConfig, type RoutingConfig } from '../match/routing-config';
import { testAgent, testMatched, WEDNESDAY_10AM_PACIFIC } from '../../tools/routing-fixtures';
import { type AssignPorts, InvalidResponseError, onMatched, onResponse, onTimer } from './assign';
import { DEFAULT_ECONOMICS_CONFIG, parseEconomicsConfig, type EconomicsConfig } from '../ledger/economics';
import type {
  AgentLedger,
  AgentResponse,
  AssignmentEvent,
  LeadAssignment,
} from '../../schemas/assignment-records';

const MINUTE = 60_000;

/** Assign over maps, with a clock the test moves and timers that fire in order. */
class Router {
  readonly leads = new Map<string, LeadAssignment>();
  readonly ledgers = new Map<string, AgentLedger>();
  readonly timers = new Map<string, number>();
  readonly events: AssignmentEvent[] = [];
  readonly performance = new Map<string, AgentPerformance>();
  readonly agents: Map<string, Agent>;
  private responses = 0;

  constructor(
    agents: Agent[],
    readonly config: RoutingConfig = parseRoutingConfig(
      'defaults: { offerTimeoutSeconds: 300, staleAfterMinutes: 60 }',
    ),
    public now = WEDNESDAY_10AM_PACIFIC,
    readonly economics: EconomicsConfig = DEFAULT_ECONOMICS_CONFIG,
  ) {
    this.agents = new Map(agents.map((a) => [a.agentId, a]));
  }

  ports(): AssignPorts {
    return {
      now: this.now,
      config: this.config,
      economics: this.economics,
      // Copies, as the processor's stores hand out: a change not written back with put is lost.
      leads: {
        get: (k) => structuredClone(this.leads.get(k)),
        put: (k, v) => this.leads.set(k, v),
        delete: (k) => this.leads.delete(k),
      },
      ledgers: {
        get: (k) => structuredClone(this.ledgers.get(k)),
        put: (k, v) => this.ledgers.set(k, v),
        delete: (k) => this.ledgers.delete(k),
      },
      agent: (id) => this.agents.get(id),
      agents: () => this.agents.values(),
      emit: (event) => this.events.push(event),
      publish: (record) => this.performance.set(record.agentId, record),
      schedule: (at, key) => this.timers.set(key, at),
      cancel: (key) => this.timers.delete(key),
    };
  }

  matched(record: LeadMatched) {
    return onMatched(this.ports(), record);
  }

  respond(leadId: string, answer: AgentResponse['response'], extra: Partial<AgentResponse> = {}) {
    const offer = this.leads.get(leadId)!.offers.at(-1)!;
    return onResponse(this.ports(), {
      responseId: `r${++this.responses}`,
      routingGroup: 'west',
      leadId,
      offerId: offer.offerId,
      agentId: offer.agentId,
      response: answer,
      outcome: null,
      reason: null,
      respondedAt: this.now,
      channel: 'test',
      ...extra,
    });
  }

  /** Moves the clock, firing due timers in time order. */
  wait(ms: number) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = Math.max(this.now, due[1]);
      onTimer(this.ports(), due[0]);
    }
    this.now = until;
  }

  types(leadId?: string) {
    return this.events
      .filter((e) => !leadId || e.leadId === leadId)
      .map((e) => `${e.type}${e.agentId ? `:${e.agentId}` : ''}`);
  }
}

const agents = (...ids: string[]) => ids.map((agentId) => testAgent({ agentId }));

describe('assign: the offer state machine', () => {
  test('offer, accept: the agent holds the lead, with a release timer for its work window', () => {
    const router = new Router(agents('a', 'b'));
    expect(router.matched(testMatched('L1', 'west', ['a', 'b'], router.now))).toBe('handled');
    expect(router.types()).toEqual(['offered:a']);
    expect(router.events[0]).toMatchObject({
      eventId: 'L1:1',
      offerId: 'L1:1',
      attempt: 1,
      strategy: 'best_match',
      expiresAt: router.now + 5 * MINUTE,
    });
    expect(router.ledgers.get('a')!.open).toBe(1);
    router.wait(30_000);
    expect(router.respond('L1', 'accept')).toBe('applied');
    expect(router.types()).toEqual(['offered:a', 'accepted:a']);
    expect(router.ledgers.get('a')).toMatchObject({
      open: 0,
      active: 1,
      acceptedOnDay: 1,
      accepted: 1,
    });
    expect(router.timers.has('expire:L1')).toBe(false);
    expect(router.timers.has('stale:L1')).toBe(false);
    expect(router.timers.get('release:L1')).toBe(router.now + 240 * MINUTE);
    expect(router.performance.get('a')).toMatchObject({
      accepted: 1,
      meanResponseSeconds: 30,
      load: { acceptedToday: 1, openOffers: 0, active: 1 },
    });
  });

  test('a decline or a lapsed offer moves on to the next candidate', () => {
    const router = new Router(agents('a', 'b', 'c'));
    router.matched(testMatched('L1', 'west', ['a', 'b', 'c'], router.now));
    router.respond('L1', 'decline', { reason: 'not my area' });
    expect(router.types()).toEqual(['offered:a', 'declined:a', 'reoffered:b']);
    expect(router.events[1]!.reason).toBe('not my area');
    router.wait(5 * MINUTE);
    expect(router.types()).toEqual(['offered:a', 'declined:a', 'reoffered:b', 'expired:b', 'reoffered:c']);
    expect(router.events.at(-1)).toMatchObject({ attempt: 3, offerId: 'L1:3' });
    expect(router.ledgers.get('a')).toMatchObject({ open: 0, declined: 1 });
    expect(router.ledgers.get('b')).toMatchObject({ open: 0, expired: 1 });
  });

  test('exhausted candidates climb the ladder: wider radius, group lead, manual queue', () => {
    const lead = testAgent({ agentId: 'boss', groupLead: true });
    const router = new Router([...agents('a', 'far'), lead]);
    router.matched(testMatched('L1', 'west', ['a'], router.now, ['far']));
    router.respond('L1', 'decline');
    router.respond('L1', 'decline');
    router.respond('L1', 'decline');
    expect(router.types()).toEqual([
      'offered:a',
      'declined:a',
      'escalated',
      'reoffered:far',
      'declined:far',
      'escalated',
      'reoffered:boss',
      'declined:boss',
      'escalated',
    ]);
    expect(router.events.filter((e) => e.type === 'escalated').map((e) => [e.escalation, e.reason])).toEqual([
      ['wider_radius', 'candidates_exhausted'],
      ['group_lead', 'candidates_exhausted'],
      ['manual_queue', 'candidates_exhausted'],
    ]);
    expect(router.leads.get('L1')).toMatchObject({ status: 'escalated', candidates: [], reserve: [] });
    expect(router.timers.get('purge:L1')).toBe(router.now + 30 * 24 * 60 * MINUTE);
  });

  test('the manual queue is the last resort even when the ladder leaves it out', () => {
    const config = parseRoutingConfig('defaults: { escalation: [group_lead] }');
    const router = new Router(agents('a'), config);
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'decline');
    expect(router.events.at(-1)).toMatchObject({ type: 'escalated', escalation: 'manual_queue' });
  });

  test('busy candidates: the lead waits, is offered when capacity frees, and goes stale up the ladder', () => {
    const a = testAgent({ agentId: 'a', capacity: { daily: 10, concurrent: 1 } });
    const router = new Router([a, testAgent({ agentId: 'boss', groupLead: true })]);
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.matched(testMatched('L2', 'west', ['a'], router.now));
    expect(router.types('L2')).toEqual(['waiting']);
    expect(router.events.at(-1)!.reason).toBe('candidates_at_capacity');
    router.respond('L1', 'decline');
    router.wait(2 * MINUTE); // the retry timer
    expect(router.types('L2')).toEqual(['waiting', 'offered:a']);
    router.matched(testMatched('L3', 'west', ['a'], router.now));
    router.wait(60 * MINUTE);
    // L2's offer lapsed and a declined L1, so L2 had nobody left and went to the group lead;
    // L3 waited for a all along and went stale.
    expect(router.types('L3')).toEqual([
      'waiting',
      'offered:a',
      'expired:a',
      'escalated',
      'reoffered:boss',
      'expired:boss',
      'escalated',
    ]);
  });

  test('a stale lead with an open offer withdraws it and escalates', () => {
    const config = parseRoutingConfig('defaults: { offerTimeoutSeconds: 3600, staleAfterMinutes: 30 }');
    const router = new Router(agents('a', 'b'), config);
    router.matched(testMatched('L1', 'west', ['a', 'b'], router.now));
    router.wait(30 * MINUTE);
    expect(router.types()).toEqual(['offered:a', 'withdrawn:a', 'escalated']);
    expect(router.events.at(-1)).toMatchObject({ escalation: 'manual_queue', reason: 'stale' });
    expect(router.ledgers.get('a')!.open).toBe(0);
    expect(router.respond('L1', 'accept', { offerId: 'L1:1', agentId: 'a' })).toBe('late');
    expect(router.events.at(-1)).toMatchObject({ type: 'response_rejected', reason: 'offer_withdrawn' });
  });

  test('a lead arriving at night waits for a queueing agent and goes stale only an hour into the shift', () => {
    const night = Date.UTC(2026, 2, 4, 9, 0); // 01:00 in Los Angeles; the shift starts at 08:00
    const router = new Router([testAgent({ agentId: 'a', queueOutsideHours: true })], undefined, night);
    const matched = testMatched('L1', 'west', ['a'], night);
    matched.candidates[0]!.availableAt = Date.UTC(2026, 2, 4, 16, 0);
    router.matched(matched);
    expect(router.types()).toEqual(['waiting']);
    expect(router.timers.get('retry:L1')).toBe(Date.UTC(2026, 2, 4, 16, 0));
    expect(router.timers.get('stale:L1')).toBe(Date.UTC(2026, 2, 4, 17, 0));
    router.wait(7 * 60 * MINUTE);
    expect(router.types()).toEqual(['waiting', 'offered:a']);
    expect(router.events.at(-1)!.at).toBe(Date.UTC(2026, 2, 4, 16, 0));
  });

  test('an agent paused after matching is skipped; one moved to another group too', () => {
    const router = new Router([
      testAgent({ agentId: 'a', status: 'paused' }),
      testAgent({ agentId: 'b', routingGroup: 'east' }),
      testAgent({ agentId: 'c' }),
    ]);
    router.matched(testMatched('L1', 'west', ['a', 'b', 'c'], router.now));
    expect(router.types()).toEqual(['offered:c']);
  });

  test('an unroutable lead becomes an unroutable event with its reason', () => {
    const router = new Router([]);
    const record: LeadMatched = {
      ...testMatched('L1', 'west', [], router.now),
      outcome: 'unroutable',
      routingGroup: null,
      unroutable: {
        code: 'not_licensed',
        message: 'no agent is licensed for auto in CA',
        funnel: { agents: 3, licensed: 0 },
      },
    };
    router.matched(record);
    expect(router.events).toEqual([
      expect.objectContaining({
        type: 'unroutable',
        reason: 'not_licensed: no agent is licensed for auto in CA',
      }),
    ]);
    expect(router.matched(record)).toBe('duplicate');
    expect(router.events).toHaveLength(1);
  });
});

/** A leads.matched record saying no agent can take the lead. */
function unroutableRecord(leadId: string, at: number): LeadMatched {
  return {
    ...testMatched(leadId, 'west', [], at),
    outcome: 'unroutable',
    routingGroup: null,
    unroutable: { code: 'no_agents', message: 'there are no agents', funnel: { agents: 0 } },
  };
}

describe('assign: a lead routed again after it was unroutable', () => {
  // leads.matched keys an unroutable lead by its id and a routed one by its group, so the two
  // routings of one lead usually reach different tasks, each with its own store.
  test('its offers get event ids of their own, never those of the unroutable routing', () => {
    const byLeadId = new Router([]);
    byLeadId.matched(unroutableRecord('L1', byLeadId.now));
    const byGroup = new Router(agents('a'), undefined, byLeadId.now + MINUTE);
    expect(byGroup.matched({ ...testMatched('L1', 'west', ['a'], byGroup.now), generation: 2 })).toBe(
      'handled',
    );
    expect([...byLeadId.types(), ...byGroup.types()]).toEqual(['unroutable', 'offered:a']);
    const ids = [...byLeadId.events, ...byGroup.events].map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(byGroup.events[0]).toMatchObject({ offerId: 'L1:1', attempt: 1 });
  });

  test('in the task that holds the unroutable state, the new routing takes the lead over', () => {
    const router = new Router(agents('a'));
    router.matched(unroutableRecord('L1', router.now));
    const routed = { ...testMatched('L1', 'west', ['a'], router.now), generation: 2 };
    expect(router.matched(routed)).toBe('handled');
    expect(router.types()).toEqual(['unroutable', 'offered:a']);
    expect(router.events.map((e) => e.eventId)).toEqual(['L1:1', 'L1:g2:1']);
    // The unroutable lead's purge must not remove the lead while it is being offered.
    expect(router.timers.has('purge:L1')).toBe(false);
    expect(router.matched(routed)).toBe('duplicate');
    expect(router.matched(unroutableRecord('L1', router.now))).toBe('duplicate');
    expect(router.types()).toEqual(['unroutable', 'offered:a']);
  });

  test('a routed lead is never taken over, whatever generation a record claims', () => {
    const router = new Router(agents('a', 'b'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    expect(router.matched({ ...testMatched('L1', 'west', ['b'], router.now), generation: 2 })).toBe(
      'duplicate',
    );
    expect(router.types()).toEqual(['offered:a']);
  });
});

describe('assign: repeated and bad input', () => {
  test('a replayed leads.matched record for a handled lead makes no second offer', () => {
    const router = new Router(agents('a', 'b'));
    const record = testMatched('L1', 'west', ['a', 'b'], router.now);
    router.matched(record);
    router.respond('L1', 'accept');
    expect(router.matched(record)).toBe('duplicate');
    expect(router.matched({ ...record, matchedAt: router.now + 1000 })).toBe('duplicate');
    expect(router.types()).toEqual(['offered:a', 'accepted:a']);
  });

  test('a record older than the kept state is not offered again', () => {
    const router = new Router(agents('a'));
    expect(router.matched(testMatched('L1', 'west', ['a'], router.now - 31 * 24 * 60 * MINUTE))).toBe(
      'too_old',
    );
    expect(router.events).toEqual([]);
  });

  test('repeated answers change nothing; late ones are answered with response_rejected', () => {
    const router = new Router(agents('a', 'b'));
    router.matched(testMatched('L1', 'west', ['a', 'b'], router.now));
    router.wait(5 * MINUTE); // a's offer lapses, b gets one
    const late = router.leads.get('L1')!.offers[0]!;
    expect(router.respond('L1', 'accept', { offerId: late.offerId, agentId: 'a' })).toBe('late');
    expect(router.events.at(-1)).toMatchObject({
      type: 'response_rejected',
      agentId: 'a',
      reason: 'offer_expired',
    });
    expect(router.respond('L1', 'accept')).toBe('applied');
    expect(router.respond('L1', 'accept')).toBe('duplicate');
    expect(router.respond('L1', 'decline')).toBe('late');
    expect(router.ledgers.get('b')).toMatchObject({ acceptedOnDay: 1, active: 1 });
    expect(router.events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  test('responses naming an unknown lead, offer or agent, or an unknown answer, are invalid', () => {
    const router = new Router(agents('a'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    expect(() => router.respond('L1', 'accept', { leadId: 'nope' })).toThrow(InvalidResponseError);
    expect(() => router.respond('L1', 'accept', { offerId: 'L1:9' })).toThrow(/has no offer L1:9/);
    expect(() => router.respond('L1', 'accept', { agentId: 'mallory' })).toThrow(/not made to agent mallory/);
    expect(() => router.respond('L1', 'maybe' as never)).toThrow(/response must be one of/);
    expect(() => router.respond('L1', 'outcome', { outcome: 'won' as never })).toThrow(
      /outcome must be one of/,
    );
    expect(() => router.respond('L1', 'outcome', { outcome: 'sold' })).toThrow(/not assigned to agent a/);
    expect(router.types()).toEqual(['offered:a']);
  });
});

describe('assign: outcomes and the work window', () => {
  test('the first report frees the place, a sale completes the lead, repeated outcomes are ignored', () => {
    const router = new Router(agents('a'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'accept');
    expect(router.ledgers.get('a')!.active).toBe(1);
    expect(router.respond('L1', 'outcome', { outcome: 'contacted' })).toBe('applied');
    expect(router.ledgers.get('a')!.active).toBe(0);
    expect(router.timers.has('release:L1')).toBe(false);
    expect(router.leads.get('L1')!.status).toBe('released');
    expect(router.respond('L1', 'outcome', { outcome: 'contacted' })).toBe('duplicate');
    expect(router.respond('L1', 'outcome', { outcome: 'sold' })).toBe('applied');
    expect(router.types()).toEqual(['offered:a', 'accepted:a', 'progressed:a', 'completed:a']);
    expect(router.ledgers.get('a')).toMatchObject({ active: 0, sold: 1 });
    expect(router.leads.get('L1')!.status).toBe('completed');
    expect(router.performance.get('a')!.conversionRate).toBeGreaterThan(0.1);
    expect(router.respond('L1', 'outcome', { outcome: 'lost' })).toBe('late');
    expect(router.events.at(-1)).toMatchObject({ type: 'response_rejected', reason: 'lead_completed' });
  });

  test('after the work window the lead stops counting against capacity; a later outcome still counts', () => {
    const router = new Router(agents('a'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'accept');
    router.wait(240 * MINUTE);
    expect(router.types()).toEqual(['offered:a', 'accepted:a', 'released:a']);
    expect(router.ledgers.get('a')!.active).toBe(0);
    router.respond('L1', 'outcome', { outcome: 'lost' });
    expect(router.types().at(-1)).toBe('completed:a');
    expect(router.ledgers.get('a')!.lost).toBe(1);
  });

  test('finished leads are purged after the retention period', () => {
    const router = new Router(agents('a'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'accept');
    router.respond('L1', 'outcome', { outcome: 'sold' });
    router.wait(31 * 24 * 60 * MINUTE);
    expect(router.leads.has('L1')).toBe(false);
  });
});

describe('assign: the price charged', () => {
  const pricing = parseEconomicsConfig(`
charged:
  defaultPlan: by-score
  plans:
    by-score: { scoreBands: [{ minScore: 0, priceCents: 1500 }, { minScore: 60, priceCents: 4500 }] }
    vip: { vipTiers: { none: 3000, silver: 3100, gold: 2500, platinum: 2000, diamond: 1500 } }
  agents: { v: vip }
`);

  test('is set at the acceptance and carried by every later event of the lead, not before', () => {
    const router = new Router(agents('a', 'b'), undefined, undefined, pricing);
    router.matched(testMatched('L1', 'west', ['a', 'b'], router.now));
    router.respond('L1', 'decline');
    router.respond('L1', 'accept');
    router.respond('L1', 'outcome', { outcome: 'sold' });
    expect(router.events.map((e) => [e.type, e.priceChargedCents, e.priceChargedRule])).toEqual([
      ['offered', null, null],
      ['declined', null, null],
      ['reoffered', null, null],
      ['accepted', 4500, 'plan:by-score:score>=60'],
      ['completed', 4500, 'plan:by-score:score>=60'],
    ]);
  });

  test("follows the accepting agent's own plan and its VIP tier at the time", () => {
    const router = new Router([testAgent({ agentId: 'v', vipTier: 'gold' })], undefined, undefined, pricing);
    router.matched(testMatched('L1', 'west', ['v'], router.now));
    router.respond('L1', 'accept');
    expect(router.events.at(-1)).toMatchObject({ type: 'accepted', priceChargedCents: 2500 });
  });

  test('is null when no plan applies', () => {
    const router = new Router(agents('a'));
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'accept');
    expect(router.events.at(-1)).toMatchObject({ type: 'accepted', priceChargedCents: null });
  });
});

describe('assign: returns', () => {
  const pricing = parseEconomicsConfig(`
charged: { defaultPlan: flat, plans: { flat: { fixedCents: 4000 } } }
returns: { windowHours: 48, autoApprove: [bad_phone], maxReturnRate: 0.2, minAcceptedForRate: 10 }
`);
  const taken = () => {
    const router = new Router(agents('a'), undefined, undefined, pricing);
    router.matched(testMatched('L1', 'west', ['a'], router.now));
    router.respond('L1', 'accept');
    return router;
  };
  const ask = (router: Router, reason: string) => router.respond('L1', 'return', { reason });
  const review = (router: Router, response: 'approve_return' | 'deny_return') =>
    router.respond('L1', response, { decidedBy: 'admin-1' });

  test('a trusted reason is approved at once: the place is freed, the lead closed, both prices on the event', () => {
    const router = taken();
    expect(router.ledgers.get('a')!.active).toBe(1);
    expect(ask(router, 'bad_phone')).toBe('applied');
    expect(router.events.at(-1)).toMatchObject({
      type: 'return_approved',
      agentId: 'a',
      returnReason: 'bad_phone',
      reason: 'auto_approved',
      priceChargedCents: 4000,
    });
    expect(router.ledgers.get('a')).toMatchObject({ active: 0, returned: 1 });
    expect(router.leads.get('L1')!.status).toBe('completed');
    expect(router.timers.has('release:L1')).toBe(false);
    // Asked again, or an outcome after it: nothing more.
    expect(ask(router, 'bad_phone')).toBe('duplicate');
    expect(router.respond('L1', 'outcome', { outcome: 'sold' })).toBe('late');
    expect(router.types().filter((t) => t.startsWith('return_'))).toEqual(['return_approved:a']);
  });

  test('an untrusted reason waits for review; the first decision holds', () => {
    const router = taken();
    ask(router, 'no_consent');
    expect(router.events.at(-1)).toMatchObject({ type: 'return_pending', reason: 'needs_review' });
    expect(router.ledgers.get('a')!.active).toBe(1);
    expect(review(router, 'approve_return')).toBe('applied');
    expect(router.events.at(-1)).toMatchObject({
      type: 'return_approved',
      returnReason: 'no_consent',
      reason: 'reviewed_by:admin-1',
    });
    expect(review(router, 'approve_return')).toBe('duplicate');
    expect(review(router, 'deny_return')).toBe('late');
    expect(router.events.at(-1)).toMatchObject({ type: 'response_rejected', reason: 'return_approved' });

    const denied = taken();
    ask(denied, 'fraud');
    review(denied, 'deny_return');
    expect(denied.events.at(-1)).toMatchObject({ type: 'return_denied', returnReason: 'fraud' });
    expect(denied.ledgers.get('a')!.active).toBe(1);
    expect(denied.ledgers.get('a')!.returned ?? 0).toBe(0);
    expect(ask(denied, 'bad_phone')).toBe('duplicate');
  });

  test('a sale reported while the return waits for review denies it', () => {
    const router = taken();
    ask(router, 'no_consent');
    router.respond('L1', 'outcome', { outcome: 'sold' });
    expect(review(router, 'approve_return')).toBe('applied');
    expect(router.events.at(-1)).toMatchObject({ type: 'return_denied', reason: 'lead_sold' });
    expect(router.ledgers.get('a')!.returned ?? 0).toBe(0);
  });

  test('a review without a return asked for is rejected', () => {
    const router = taken();
    expect(review(router, 'approve_return')).toBe('late');
    expect(router.events.at(-1)).toMatchObject({ type: 'response_rejected', reason: 'no_return_requested' });
  });

  test('denied: not a reason, after a sale, after the window; a denial for the reason may be asked again', () => {
    const router = taken();
    ask(router, 'not_interested');
    expect(router.events.at(-1)).toMatchObject({ type: 'return_denied', reason: 'not_a_return_reason' });
    expect(ask(router, 'bad_phone')).toBe('applied');
    expect(router.events.at(-1)).toMatchObject({ type: 'return_approved' });

    const sold = taken();
    sold.respond('L1', 'outcome', { outcome: 'quoted' });
    sold.respond('L1', 'return', { reason: 'bad_phone' });
    expect(sold.events.at(-1)).toMatchObject({ type: 'return_approved' });

    const late = taken();
    late.wait(49 * 60 * MINUTE);
    ask(late, 'bad_phone');
    expect(late.events.at(-1)).toMatchObject({ type: 'return_denied', reason: 'return_window_closed' });
  });

  test('only the agent who took the lead may return it', () => {
    const router = taken();
    expect(() => router.respond('L1', 'return', { reason: 'bad_phone', agentId: 'b' })).toThrow(
      InvalidResponseError,
    );
  });
});

describe('assign: weekly and monthly caps', () => {
  test("an agent at its weekly cap is passed over until the agent's next local week", () => {
    const economics = parseEconomicsConfig('caps: { agents: { a: { weekly: 2 } } }');
    const router = new Router(agents('a', 'b'), undefined, undefined, economics);
    for (const leadId of ['L1', 'L2']) {
      router.matched(testMatched(leadId, 'west', ['a', 'b'], router.now));
      router.respond(leadId, 'accept');
    }
    expect(router.ledgers.get('a')).toMatchObject({ acceptedInWeek: 2, acceptedInMonth: 2 });
    router.matched(testMatched('L3', 'west', ['a', 'b'], router.now));
    expect(router.types('L3')).toEqual(['offered:b']);
    // An open offer holds a place: with one accepted, a second open offer waits for the first.
    const monthly = new Router(
      agents('a'),
      undefined,
      undefined,
      parseEconomicsConfig('caps: { agents: { a: { monthly: 1 } } }'),
    );
    monthly.matched(testMatched('M1', 'west', ['a'], monthly.now));
    monthly.matched(testMatched('M2', 'west', ['a'], monthly.now));
    expect(monthly.types()).toEqual(['offered:a', 'waiting']);
    // Next Monday (the router's clock is a Wednesday) the week starts again.
    router.wait(5 * 24 * 60 * MINUTE);
    router.matched(testMatched('L4', 'west', ['a'], router.now));
    expect(router.types('L4')).toEqual(['offered:a']);
  });
});

describe('assign: capacity is exact', () => {
  test('whatever happens, no agent ever holds more than its caps allow, and no lead is taken twice', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('lead' as const),
        candidates: fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 }),
      }),
      fc.record({ kind: fc.constant('replay' as const), back: fc.nat(20) }),
      fc.record({ kind: fc.constant('answer' as const), back: fc.nat(20), accept: fc.boolean() }),
      fc.record({
        kind: fc.constant('outcome' as const),
        back: fc.nat(20),
        outcome: fc.constantFrom('contacted' as const, 'sold' as const, 'lost' as const),
      }),
      fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 600 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ daily: fc.integer({ min: 1, max: 4 }), concurrent: fc.integer({ min: 1, max: 3 }) }),
          {
            minLength: 4,
            maxLength: 4,
          },
        ),
        fc.constantFrom('best_match', 'weighted_round_robin', 'fair_share'),
        fc.array(step, { maxLength: 120 }),
        (caps, strategy, steps) => {
          const ids = ['a', 'b', 'c', 'd'];
          const config = parseRoutingConfig(`defaults: { strategy: ${strategy}, staleAfterMinutes: 45 }`);
          const router = new Router(
            ids.map((agentId, i) =>
              testAgent({
                agentId,
                capacity: caps[i]!,
                workingHours: {
                  timeZone: 'America/Los_Angeles',
                  days: [1, 2, 3, 4, 5, 6, 7],
                  start: '06:00',
                  end: '22:00',
                },
                queueOutsideHours: true,
              }),
            ),
            config,
          );
          const matchedRecords: LeadMatched[] = [];
          for (const s of steps) {
            if (s.kind === 'lead') {
              const record = testMatched(`L${matchedRecords.length}`, 'west', s.candidates, router.now);
              matchedRecords.push(record);
              router.matched(record);
            } else if (s.kind === 'replay' && matchedRecords.length > 0) {
              expect(router.matched(matchedRecords[Math.max(0, matchedRecords.length - 1 - s.back)]!)).toBe(
                'duplicate',
              );
            } else if ((s.kind === 'answer' || s.kind === 'outcome') && matchedRecords.length > 0) {
              const state = router.leads.get(
                matchedRecords[Math.max(0, matchedRecords.length - 1 - s.back)]!.leadId,
              );
              const offer = state?.offers.at(-1);
              if (!state || !offer) continue;
              const base = { offerId: offer.offerId, agentId: offer.agentId };
              if (s.kind === 'answer') router.respond(state.leadId, s.accept ? 'accept' : 'decline', base);
              else if (state.agentId)
                router.respond(state.leadId, 'outcome', {
                  ...base,
                  agentId: state.agentId,
                  outcome: s.outcome,
                });
            } else if (s.kind === 'wait') {
              router.wait(s.minutes * MINUTE);
            }
          }
          auditCaps(router.events, new Map(ids.map((id, i) => [id, caps[i]!])));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Replays the events with independent counters: caps hold at every step, each lead is accepted once. */
function auditCaps(events: AssignmentEvent[], caps: Map<string, { daily: number; concurrent: number }>) {
  const open = new Map<string, Set<string>>();
  const active = new Map<string, Set<string>>();
  const acceptedOn = new Map<string, number>();
  const accepted = new Set<string>();
  const day = (at: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(at);
  const set = (map: Map<string, Set<string>>, id: string) => map.get(id) ?? map.set(id, new Set()).get(id)!;
  for (const e of events) {
    const id = e.agentId!;
    if (e.type === 'offered' || e.type === 'reoffered') {
      set(open, id).add(e.leadId);
      const cap = caps.get(id)!;
      expect(set(open, id).size + set(active, id).size).toBeLessThanOrEqual(cap.concurrent);
      expect((acceptedOn.get(`${id}|${day(e.at)}`) ?? 0) + set(open, id).size).toBeLessThanOrEqual(cap.daily);
    } else if (e.type === 'accepted') {
      expect(set(open, id).has(e.leadId)).toBe(true);
      expect(accepted.has(e.leadId)).toBe(false);
      accepted.add(e.leadId);
      set(open, id).delete(e.leadId);
      set(active, id).add(e.leadId);
      const key = `${id}|${day(e.at)}`;
      acceptedOn.set(key, (acceptedOn.get(key) ?? 0) + 1);
      expect(acceptedOn.get(key)).toBeLessThanOrEqual(caps.get(id)!.daily);
    } else if (e.type === 'declined' || e.type === 'expired' || e.type === 'withdrawn') {
      set(open, id).delete(e.leadId);
    } else if (e.type === 'progressed' || e.type === 'completed' || e.type === 'released') {
      set(active, id).delete(e.leadId);
    }
  }
}
