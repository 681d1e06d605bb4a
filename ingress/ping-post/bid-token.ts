/**
 * A bid travels as a signed token: the vendor gets its terms back in `bid_id` and posts it with
 * the lead, so any API process can check a post without shared state (HMAC-SHA256 with a key
 * derived from the deployment's JWT secret; single use is enforced by the cap counters).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Bid, Ping } from '../../processors/ledger/bids';
import { SALE_KINDS } from '../../schemas/sale-records';

export interface BidTerms extends Bid {
  /** Unique per ping; the sale and the lead's ledger entries name it. */
  bidId: string;
  /** The vendor that pinged: only it may post against the bid. */
  vendorId: string;
  ping: Ping;
  pingedAt: number;
  expiresAt: number;
}

const PREFIX = 'bid_';

const termsSchema = z.strictObject({
  bidId: z.string().min(1),
  vendorId: z.string().min(1),
  ping: z.strictObject({
    line: z.string(),
    state: z.string(),
    zip: z.string(),
    campaign: z.string().nullable(),
  }),
  kind: z.enum(SALE_KINDS),
  buyers: z.array(z.strictObject({ buyerId: z.string(), priceCents: z.number().int().min(0) })).min(1),
  vendorPriceCents: z.number().int().min(0),
  pingedAt: z.number().int(),
  expiresAt: z.number().int(),
});

/** The signing key for bids, derived from a deployment secret so no new secret is needed. */
export function bidKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('leadflow ping-post bids v1').digest();
}

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest();

export function signBid(key: Buffer, terms: BidTerms): string {
  const body = Buffer.from(JSON.stringify(terms)).toString('base64url');
  return `${PREFIX}${body}.${mac(key, body).toString('base64url')}`;
}

/** The terms of a bid token this deployment signed, or null for anything else. */
export function readBid(key: Buffer, token: string): BidTerms | null {
  if (!token.startsWith(PREFIX)) return null;
  const [body, signature, ...rest] = token.slice(PREFIX.length).split('.');
  if (!body || !signature || rest.length > 0) return null;
  const expected = mac(key, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const parsed = termsSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
