import { parseEconomicsConfig } from '../../processors/ledger/economics';
import { MemoryCapCounters } from '../caps/counters';
import { bidKey, readBid, signBid } from './bid-token';
import { type ClaimedBid, PingPostDesk, type PostRefusal } from './desk';

const NOW = Date.parse('2026-12-09T12:00:00Z');
const PING = { line: 'auto', state: 'TX', zip: '75201', campaign: 'spring' };
const KEY = bidKey('a deployment secret that is long enough');

const config = parseEconomicsConfig(`
buyers:
  - { id: dallas, line: auto, zipPrefix: '752', exclusiveCents: 4000 }
  - { id: shared-a, sharedCents: 1000 }
caps:
  buyers:
    dallas: { daily: 2, timeZone: America/Chicago }
pingPost: { bidTtlSeconds: 30 }
`);

function desk(clock = { now: NOW }, buyers = config) {
  const counters = new MemoryCapCounters(() => clock.now);
  return { desk: new PingPostDesk(buyers, counters, KEY, () => clock.now), clock };
}

async function bidOf(d: PingPostDesk, vendorId = 'acme') {
  const answer = await d.ping(vendorId, PING);
  if (!answer.bid) throw new Error('no bid');
  return answer.bid;
}

const refusal = (outcome: ClaimedBid | PostRefusal) => ('code' in outcome ? outcome.code : 'claimed');

describe('bid tokens', () => {
  it('carry their terms signed, and anything else reads as no bid', async () => {
    const { desk: d } = desk();
    const { token, terms } = await bidOf(d);
    expect(readBid(KEY, token)).toEqual(terms);
    expect(terms).toMatchObject({
      vendorId: 'acme',
      kind: 'exclusive',
      vendorPriceCents: 2800,
      expiresAt: NOW + 30_000,
    });
    const [body, signature] = token.slice('bid_'.length).split('.');
    const richer = Buffer.from(JSON.stringify({ ...terms, vendorPriceCents: 4000 })).toString('base64url');
    expect(readBid(KEY, `bid_${richer}.${signature}`)).toBeNull();
    expect(readBid(bidKey('another deployment secret, long enough'), token)).toBeNull();
    expect(readBid(KEY, `bid_${body}`)).toBeNull();
    expect(readBid(KEY, 'bid_not.base64')).toBeNull();
    expect(readBid(KEY, signBid(KEY, terms).replace('bid_', 'xid_'))).toBeNull();
  });
});

describe('posting against a bid', () => {
  it('wins once, within the expiry, for the vendor that pinged, with the pinged fields', async () => {
    const { desk: d, clock } = desk();
    const { token } = await bidOf(d);
    expect(refusal(await d.claim('harbor', token, PING))).toBe('bid_not_yours');
    const differs = await d.claim('acme', token, { ...PING, state: 'OK', campaign: null });
    expect(differs).toMatchObject({
      code: 'lead_differs_from_ping',
      problems: [
        { field: 'lead.contact.state', message: 'the ping said state TX, the lead says OK' },
        { field: 'lead.source.campaign', message: 'the ping said campaign spring, the lead says (none)' },
      ],
    });
    clock.now += 31_000;
    expect(refusal(await d.claim('acme', token, PING))).toBe('bid_expired');
    clock.now = NOW + 1000;
    const won = await d.claim('acme', token, PING);
    expect(won).toMatchObject({
      sale: { kind: 'exclusive', buyers: [{ buyerId: 'dallas', priceCents: 4000 }] },
    });
    expect(await d.claim('acme', token, PING)).toMatchObject({
      code: 'bid_used',
      leadId: readBid(KEY, token)!.bidId,
    });
  });

  it("counts sales in the buyers' caps: a capped buyer bids no more, and a post over its cap loses", async () => {
    const { desk: d } = desk();
    const bids = [await bidOf(d), await bidOf(d), await bidOf(d)];
    expect(bids.map((b) => b.terms.kind)).toEqual(['exclusive', 'exclusive', 'exclusive']);
    expect(refusal(await d.claim('acme', bids[0]!.token, PING))).toBe('claimed');
    expect(refusal(await d.claim('acme', bids[1]!.token, PING))).toBe('claimed');
    const over = await d.claim('acme', bids[2]!.token, PING);
    expect(over).toMatchObject({
      code: 'buyer_cap_reached',
      message: expect.stringContaining("buyer dallas's daily cap of 2 leads"),
    });
    // dallas's day is full: the next ping goes to the shared buyer.
    expect((await bidOf(d)).terms).toMatchObject({ kind: 'shared', buyers: [{ buyerId: 'shared-a' }] });
  });

  it("gives the buyers' places back when the lead is rejected, but the bid stays used", async () => {
    const { desk: d } = desk();
    const claims = [];
    for (let i = 0; i < 2; i++) {
      const claimed = await d.claim('acme', (await bidOf(d)).token, PING);
      if ('code' in claimed) throw new Error(claimed.code);
      claims.push(claimed);
    }
    expect((await bidOf(d)).terms.kind).toBe('shared');
    await d.release(claims[0]!.buyerClaims);
    const reopened = await bidOf(d);
    expect(reopened.terms.kind).toBe('exclusive');
    expect(refusal(await d.claim('acme', reopened.token, PING))).toBe('claimed');
  });

  it('refuses a bid whose buyer has left the file since the ping', async () => {
    const clock = { now: NOW };
    const { token } = await bidOf(desk(clock).desk);
    const without = parseEconomicsConfig('buyers: [{ id: shared-a, sharedCents: 1000 }]');
    expect(refusal(await desk(clock, without).desk.claim('acme', token, PING))).toBe('bid_withdrawn');
  });
});
