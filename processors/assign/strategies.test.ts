import { newLedger } from './ledger';
import type { AgentLedger } from '../../schemas/assignment-records';
import { choose, type Contender, MAX_DEFICIT } from './strategies';

type Spec = { id: string; rank: number; weight?: number; capacity?: number };

/** Runs `leads` rounds of a strategy over fixed contenders, carrying the ledgers along. */
function rounds(
  strategy: Parameters<typeof choose>[0],
  specs: Spec[],
  leads: number,
  start: Partial<Record<string, Partial<AgentLedger>>> = {},
) {
  const ledgers = new Map(specs.map((s) => [s.id, { ...newLedger(s.id, 'g'), ...start[s.id] }]));
  const wins: string[] = [];
  for (let i = 0; i < leads; i++) {
    const contenders: Contender[] = specs.map((s) => ({
      agentId: s.id,
      rank: s.rank,
      weight: s.weight ?? 1,
      dailyCapacity: s.capacity ?? 10,
      ledger: ledgers.get(s.id)!,
    }));
    const choice = choose(strategy, contenders);
    for (const ledger of choice.ledgers) ledgers.set(ledger.agentId, ledger);
    // Assign counts the offer on the winner's ledger.
    ledgers.get(choice.agentId)!.offers += 1;
    wins.push(choice.agentId);
  }
  return { wins, ledgers };
}

const count = (wins: string[]) =>
  wins.reduce<Record<string, number>>((c, w) => ({ ...c, [w]: (c[w] ?? 0) + 1 }), {});

describe('strategies', () => {
  test('best match always offers to the best-ranked ready candidate', () => {
    const { wins } = rounds(
      'best_match',
      [
        { id: 'b', rank: 2 },
        { id: 'a', rank: 1 },
        { id: 'c', rank: 3 },
      ],
      5,
    );
    expect(wins).toEqual(['a', 'a', 'a', 'a', 'a']);
  });

  test('smooth weighted round-robin interleaves in proportion to the weights', () => {
    const { wins } = rounds(
      'weighted_round_robin',
      [
        { id: 'a', rank: 1, weight: 5 },
        { id: 'b', rank: 2, weight: 1 },
        { id: 'c', rank: 3, weight: 1 },
      ],
      7,
    );
    // nginx's example: {a:5, b:1, c:1} -> a a b a c a a
    expect(wins).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    const many = rounds(
      'weighted_round_robin',
      [
        { id: 'a', rank: 1, weight: 3 },
        { id: 'b', rank: 2, weight: 2 },
        { id: 'c', rank: 3, weight: 1 },
      ],
      600,
    );
    expect(count(many.wins)).toEqual({ a: 300, b: 200, c: 100 });
  });

  test('fair share gives leads in proportion to capacity', () => {
    const { wins } = rounds(
      'fair_share',
      [
        { id: 'big', rank: 3, capacity: 30 },
        { id: 'mid', rank: 2, capacity: 20 },
        { id: 'small', rank: 1, capacity: 10 },
      ],
      600,
    );
    expect(count(wins)).toEqual({ big: 300, mid: 200, small: 100 });
  });

  test('fair share: an agent back after a long absence is owed at most MAX_DEFICIT offers', () => {
    const { wins } = rounds(
      'fair_share',
      [
        { id: 'regular', rank: 1 },
        { id: 'returning', rank: 2 },
      ],
      10,
      // Entitled to 100 offers it never got (away on leave, say).
      { regular: { offers: 100, entitled: 100 }, returning: { offers: 0, entitled: 100 } },
    );
    // Not a burst of 100: a short lead, then the two alternate.
    expect(wins).toEqual([
      ...Array<string>(MAX_DEFICIT).fill('returning'),
      'regular',
      'returning',
      'regular',
      'returning',
      'regular',
      'returning',
      'regular',
      'returning',
    ]);
  });

  test('needs a contender', () => {
    expect(() => choose('best_match', [])).toThrow();
  });
});
