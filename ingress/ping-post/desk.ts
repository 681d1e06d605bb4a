/**
 * Ping-post at ingress. A ping (a lead without contact details) is answered from the economics
 * file's buyers and the cap counts, in this process: no topic is read or written, so the answer
 * is fast. A post checks its bid and takes, atomically, the bid (once) and a place in each buyer's
 * caps; the route then writes the lead with its sale, and match sells it instead of routing it.
 */
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import { bestBid, interestedBuyers, type Ping } from '../../processors/ledger/bids';
import { buyerClaims, type CapClaim } from '../../processors/ledger/caps';
import type { Buyer, EconomicsConfig } from '../../processors/ledger/economics';
import { registry } from '../../runtime/metrics';
import type { Sale } from '../../schemas/sale-records';
import type { CapCounters } from '../caps/counters';
import { type BidTerms, readBid, signBid } from './bid-token';

const DAY_MS = 86_400_000;

const pings = new client.Counter({
  name: 'leadflow_pings_total',
  help: 'Pings answered, by outcome: bid, or no_bid (no buyer takes the lead now, or all are capped).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const posts = new client.Counter({
  name: 'leadflow_posts_total',
  help: 'Posts against bids, by outcome: claimed (written with its sale) or the refusal code.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export type PingAnswer =
  { pingId: string; bid: { token: string; terms: BidTerms } } | { pingId: string; bid: null; reason: string };

/** Why a post cannot have its bid: the HTTP status and code the route answers with. */
export interface PostRefusal {
  status: 400 | 403 | 409;
  code:
    | 'invalid_bid'
    | 'bid_not_yours'
    | 'bid_expired'
    | 'bid_used'
    | 'bid_withdrawn'
    | 'buyer_cap_reached'
    | 'lead_differs_from_ping';
  message: string;
  /** lead_differs_from_ping: each field of the lead that does not match the ping. */
  problems?: { field: string; code: string; message: string }[];
  /** bid_used: the lead posted against the bid (a posted lead's id is its bid's). */
  leadId?: string;
}

/** A bid won: the sale the lead is written with, and the places it took. */
export interface ClaimedBid {
  sale: Sale;
  /** The bid's single use: kept even when the lead is rejected later. */
  bidClaim: CapClaim;
  /** Places in the buyers' caps: given back when the pipeline rejects the lead. */
  buyerClaims: CapClaim[];
}

/** The lead's fields a ping fixed, with the field names a vendor knows them by. */
const PING_FIELDS: [keyof Ping, string][] = [
  ['line', 'lead.line'],
  ['state', 'lead.contact.state'],
  ['zip', 'lead.contact.zip'],
  ['campaign', 'lead.source.campaign'],
];

export class PingPostDesk {
  private readonly buyersById: Map<string, Buyer>;

  constructor(
    private readonly config: EconomicsConfig,
    private readonly counters: CapCounters,
    private readonly key: Buffer,
    private readonly clock: () => number = Date.now,
  ) {
    this.buyersById = new Map(config.buyers.map((buyer) => [buyer.buyerId, buyer]));
  }

  /** The best bid for the ping from the buyers that take it now and have room in their caps. */
  async ping(vendorId: string, ping: Ping): Promise<PingAnswer> {
    const now = this.clock();
    const pingId = randomUUID();
    const interested = interestedBuyers(this.config, ping, now);
    const claims = interested.map((buyer) => buyerClaims(buyer, now));
    const full = await this.counters.full(claims.flat());
    let at = 0;
    const withRoom = interested.filter((_, i) => {
      const capped = claims[i]!.some((_claim, j) => full[at + j]);
      at += claims[i]!.length;
      return !capped;
    });
    const bid = bestBid(this.config, withRoom);
    pings.inc({ outcome: bid ? 'bid' : 'no_bid' });
    if (!bid) {
      const reason =
        interested.length === 0
          ? `no buyer takes ${ping.line} leads in ${ping.state} ${ping.zip} now`
          : `every buyer that takes ${ping.line} leads in ${ping.state} ${ping.zip} has reached a cap`;
      return { pingId, bid: null, reason };
    }
    const terms: BidTerms = {
      bidId: pingId,
      vendorId,
      ping,
      ...bid,
      pingedAt: now,
      expiresAt: now + this.config.pingPost.bidTtlSeconds * 1000,
    };
    return { pingId, bid: { token: signBid(this.key, terms), terms } };
  }

  /**
   * Takes the bid for a posted lead whose ping fields are `posted`, or says why not. The bid is
   * taken once: a second post of it is refused, whatever became of the first.
   */
  async claim(vendorId: string, token: string, posted: Ping): Promise<ClaimedBid | PostRefusal> {
    const outcome = await this.claimBid(vendorId, token, posted);
    posts.inc({ outcome: 'sale' in outcome ? 'claimed' : outcome.code });
    return outcome;
  }

  private async claimBid(vendorId: string, token: string, posted: Ping): Promise<ClaimedBid | PostRefusal> {
    const terms = readBid(this.key, token);
    if (!terms)
      return { status: 400, code: 'invalid_bid', message: 'bid_id is not a bid this platform made' };
    if (terms.vendorId !== vendorId) {
      return { status: 403, code: 'bid_not_yours', message: 'the bid answered another vendor’s ping' };
    }
    const now = this.clock();
    if (now > terms.expiresAt) {
      return {
        status: 409,
        code: 'bid_expired',
        message: `the bid expired at ${new Date(terms.expiresAt).toISOString()}; ping again`,
      };
    }
    const problems = PING_FIELDS.filter(([name]) => terms.ping[name] !== posted[name]).map(
      ([name, field]) => ({
        field,
        code: 'differs_from_ping',
        message: `the ping said ${name} ${terms.ping[name] ?? '(none)'}, the lead says ${posted[name] ?? '(none)'}`,
      }),
    );
    if (problems.length > 0) {
      return {
        status: 409,
        code: 'lead_differs_from_ping',
        message: 'the lead does not match the ping the bid priced',
        problems,
      };
    }
    const buyers = terms.buyers.map(({ buyerId }) => this.buyersById.get(buyerId));
    if (buyers.some((buyer) => buyer === undefined)) {
      return { status: 409, code: 'bid_withdrawn', message: 'a buyer of the bid no longer buys; ping again' };
    }
    const bidClaim: CapClaim = {
      key: `@bid:${terms.bidId}`,
      limit: 1,
      expiresAt: terms.expiresAt + DAY_MS,
      describe: `bid ${terms.bidId}`,
    };
    const claims = buyers.flatMap((buyer) => buyerClaims(buyer!, now));
    const full = await this.counters.take([bidClaim, ...claims]);
    if (full === bidClaim) {
      return {
        status: 409,
        code: 'bid_used',
        message: `lead ${terms.bidId} was already posted against this bid`,
        leadId: terms.bidId,
      };
    }
    if (full) {
      return {
        status: 409,
        code: 'buyer_cap_reached',
        message: `${full.describe} was reached since the ping; ping again`,
      };
    }
    const { bidId, kind, buyers: sold, vendorPriceCents, pingedAt } = terms;
    return { sale: { bidId, kind, buyers: sold, vendorPriceCents, pingedAt }, bidClaim, buyerClaims: claims };
  }

  /** Gives back places a claimed bid took (all of them if the lead was never written). */
  async release(claims: readonly CapClaim[]): Promise<void> {
    await this.counters.give(claims);
  }
}
