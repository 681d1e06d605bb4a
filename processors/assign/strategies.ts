/**
 * Which of a lead's ready candidates (eligible, working now, with capacity left) gets the offer.
 *
 * - best_match: the best-ranked one.
 * - weighted_round_robin: smooth weighted round-robin (as in nginx): every contender gains its
 *   weight, the one with the most current weight wins and gives back the contenders' total. Over
 *   any run of leads each agent gets offers in proportion to its weight, interleaved evenly.
 * - fair_share: deficit by capacity: every contender is entitled to its capacity's share of the
 *   lead; the one furthest behind its entitlement (entitled minus offers received) wins. An offer
 *   counts whatever the answer: an agent who declines has had its turn, or a habitual decliner
 *   would be first in line for every lead.
 *
 * Round-robin and fair share only count leads an agent could have taken, so an agent licensed in
 * few states is not owed leads it could never get.
 */
import type { Strategy } from '../../schemas/routing-records';
import type { AgentLedger } from '../../schemas/assignment-records';

export interface Contender {
  agentId: string;
  /** Match rank, 1 = best. */
  rank: number;
  weight: number;
  dailyCapacity: number;
  ledger: AgentLedger;
}

/** How many leads an agent may be owed at most, so a long absence does not earn a burst of leads. */
export const MAX_DEFICIT = 2;

export interface Choice {
  agentId: string;
  /** Ledgers whose strategy state changed. */
  ledgers: AgentLedger[];
}

const byRank = (a: Contender, b: Contender) => a.rank - b.rank || a.agentId.localeCompare(b.agentId);

/** The contender with the highest `measure`; the better rank breaks ties. */
function highest(contenders: readonly Contender[], measure: (c: Contender) => number): Contender {
  let best = contenders[0]!;
  for (const c of contenders.slice(1)) {
    const difference = measure(c) - measure(best);
    if (difference > 1e-9 || (Math.abs(difference) <= 1e-9 && byRank(c, best) < 0)) best = c;
  }
  return best;
}

export function choose(strategy: Strategy, contenders: readonly Contender[]): Choice {
  if (contenders.length === 0) throw new Error('choose needs at least one contender');
  switch (strategy) {
    case 'best_match':
      return { agentId: [...contenders].sort(byRank)[0]!.agentId, ledgers: [] };
    case 'weighted_round_robin': {
      const total = contenders.reduce((sum, c) => sum + c.weight, 0);
      const ledgers = contenders.map((c) => ({ ...c.ledger, rrCurrent: c.ledger.rrCurrent + c.weight }));
      const current = new Map(ledgers.map((l) => [l.agentId, l.rrCurrent]));
      const winner = highest(contenders, (c) => current.get(c.agentId)!);
      const won = ledgers.find((l) => l.agentId === winner.agentId)!;
      won.rrCurrent -= total;
      return { agentId: winner.agentId, ledgers };
    }
    case 'fair_share': {
      const total = contenders.reduce((sum, c) => sum + c.dailyCapacity, 0);
      const ledgers = contenders.map((c) => {
        const entitled = c.ledger.entitled + c.dailyCapacity / total;
        return { ...c.ledger, entitled: Math.min(entitled, c.ledger.offers + MAX_DEFICIT) };
      });
      const deficit = new Map(ledgers.map((l) => [l.agentId, l.entitled - l.offers]));
      const winner = highest(contenders, (c) => deficit.get(c.agentId)!);
      return { agentId: winner.agentId, ledgers };
    }
  }
}
