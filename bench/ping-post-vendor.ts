/**
 * A simulated vendor selling some of its generated leads by ping-post, for the demo and the crash
 * test: it pings with a lead's line, state, ZIP and campaign and, when buyers bid, takes the bid
 * as a post would. The lead is then written with its sale, like `POST /v1/post` writes it.
 */
import type { PingPostDesk } from '../ingress/ping-post/desk';
import { pingOfLead } from '../processors/ledger/bids';
import { parseLeadInput } from '../schemas/lead';
import type { Sale } from '../schemas/sale-records';

/** The sale of `body` if buyers bid on it and the bid is won; undefined for a lead not sold so. */
export async function sellByPingPost(
  desk: PingPostDesk,
  vendorId: string,
  body: unknown,
): Promise<Sale | undefined> {
  const parsed = parseLeadInput(body);
  if (!parsed.ok) return undefined;
  const ping = pingOfLead(parsed.lead);
  const answer = await desk.ping(vendorId, ping);
  if (!answer.bid) return undefined;
  const claimed = await desk.claim(vendorId, answer.bid.token, ping);
  return 'sale' in claimed ? claimed.sale : undefined;
}
