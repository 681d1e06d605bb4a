import type { LeadMatched } from '../../schemas/routing-records';
import { decideRouting, decideSale, type LeadRouting } from './routing-memory';
import { testLead, testMatched, WEDNESDAY_10AM_PACIFIC } from '../../tools/routing-fixtures';

const NOW = WEDNESDAY_10AM_PACIFIC;
const RETENTION_DAYS = 30;
const lead = testLead({ leadId: 'L1', receivedAt: NOW - 60_000 });
const routed = (group: string): LeadMatched => testMatched('L1', group, ['a'], NOW);
const unroutable: LeadMatched = {
  ...testMatched('L1', 'west', [], NOW),
  outcome: 'unroutable',
  routingGroup: null,
  unroutable: { code: 'no_agents', message: 'there are no agents', funnel: { agents: 0 } },
};

const decide = (previous: LeadRouting | undefined, matched: LeadMatched) =>
  decideRouting(previous, lead, NOW, RETENTION_DAYS, () => matched);

describe('routing memory', () => {
  test("a lead's first routing is generation 1, routed or not", () => {
    expect(decide(undefined, routed('west'))).toEqual({
      kind: 'route',
      matched: { ...routed('west'), generation: 1 },
      routing: { generation: 1, routingGroup: 'west', matchedAt: NOW },
    });
    expect(decide(undefined, unroutable)).toMatchObject({
      kind: 'route',
      matched: { outcome: 'unroutable', generation: 1 },
      routing: { generation: 1, routingGroup: null },
    });
  });

  test('an unroutable lead that now has candidates is routed as the next generation', () => {
    const before: LeadRouting = { generation: 1, routingGroup: null, matchedAt: NOW - 1000 };
    expect(decide(before, routed('east'))).toMatchObject({
      kind: 'route',
      matched: { routingGroup: 'east', generation: 2 },
      routing: { generation: 2, routingGroup: 'east', matchedAt: NOW },
    });
    expect(decide(before, unroutable)).toEqual({ kind: 'skip', reason: 'still_unroutable' });
  });

  test('a lead routed to a group is not matched again, whatever the agents look like now', () => {
    const match = jest.fn(() => routed('east'));
    expect(
      decideRouting(
        { generation: 1, routingGroup: 'west', matchedAt: NOW },
        lead,
        NOW,
        RETENTION_DAYS,
        match,
      ),
    ).toEqual({ kind: 'skip', reason: 'already_routed' });
    expect(match).not.toHaveBeenCalled();
  });

  test('a lead received before the memory horizon is not routed: it may have been forgotten', () => {
    const old = testLead({ leadId: 'L1', receivedAt: NOW - (RETENTION_DAYS + 1) * 86_400_000 });
    expect(decideRouting(undefined, old, NOW, RETENTION_DAYS, () => routed('west'))).toEqual({
      kind: 'skip',
      reason: 'too_old',
    });
  });

  test('a posted lead is sold once, never after a routing, and never routed after its sale', () => {
    const sale = decideSale(undefined, lead, NOW, RETENTION_DAYS);
    expect(sale).toEqual({
      kind: 'sell',
      routing: { generation: 1, routingGroup: null, matchedAt: NOW, sold: true },
    });
    if (sale.kind !== 'sell') throw new Error('not sold');
    expect(decideSale(sale.routing, lead, NOW, RETENTION_DAYS)).toEqual({
      kind: 'skip',
      reason: 'already_sold',
    });
    expect(decide(sale.routing, routed('west'))).toEqual({ kind: 'skip', reason: 'already_sold' });
    const routedBefore = { generation: 1, routingGroup: null, matchedAt: NOW };
    expect(decideSale(routedBefore, lead, NOW, RETENTION_DAYS)).toEqual({
      kind: 'skip',
      reason: 'already_routed',
    });
    const old = testLead({ leadId: 'L1', receivedAt: NOW - (RETENTION_DAYS + 1) * 86_400_000 });
    expect(decideSale(undefined, old, NOW, RETENTION_DAYS)).toEqual({ kind: 'skip', reason: 'too_old' });
  });
});
