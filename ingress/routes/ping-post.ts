/**
 * Ping-post: a vendor pings with a lead's line, state, ZIP and campaign (no contact details) and
 * gets the best bid buyers make for it; it posts the full lead with the bid's id to sell it at
 * that price. The post answers like a synchronous submission: the lead passes the same intake
 * stages, and the answer is what they decided (sold, or rejected with reasons).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pingOfLead } from '../../processors/ledger/bids';
import { pingShape } from '../../schemas/lead';
import { rawLeadOf } from '../../schemas/raw-lead';
import { SALE_KINDS } from '../../schemas/sale-records';
import { US_STATES } from '../../schemas/us-states';
import { principalOf } from '../auth/access';
import { ApiError, errorResponses } from '../errors';
import type { LeadDecisions } from '../lead-decisions';
import type { RawLeadWriter } from '../lead-writer';
import type { PingPostDesk } from '../ping-post/desk';
import { leadBody } from './lead-body';
import { pending, pendingAnswer, refuseOver } from './leads';

export interface PingPostRoutesOptions {
  desk: PingPostDesk;
  writer: RawLeadWriter;
  decisions: LeadDecisions;
  /** How long a post waits for the pipeline's decision by default. */
  syncWaitMs: number;
  now?: () => number;
}

const STATE_CODES = US_STATES.map((s) => s.code) as [string, ...string[]];
const zip5 = (zip: string) => zip.slice(0, 5);

/** Fields that identify or reach a person: a ping must not carry them, whatever their name. */
const CONTACT_FIELDS = [
  'contact',
  'firstName',
  'lastName',
  'name',
  'phone',
  'email',
  'address',
  'addressLine1',
  'addressLine2',
  'street',
  'dateOfBirth',
  'ipAddress',
];

const pingBody = z
  .record(z.string(), z.unknown())
  .superRefine((body, ctx) => {
    for (const field of CONTACT_FIELDS.filter((name) => Object.hasOwn(body, name))) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${field}: a ping carries no contact details; send them with the post`,
        params: { code: 'not_allowed' },
      });
    }
  })
  .pipe(
    z.strictObject({
      line: pingShape.line,
      state: pingShape.state.pipe(z.enum(STATE_CODES, { error: 'must be a US state code, such as TX' })),
      zip: pingShape.zip.pipe(z.string().regex(/^[0-9]{5}(-[0-9]{4})?$/, 'must be a 5-digit ZIP')),
      campaign: pingShape.campaign,
    }),
  )
  .meta({ description: "The lead's line, state, ZIP and campaign; contact details are refused." });

const bidView = z.object({
  bid_id: z
    .string()
    .meta({ description: 'Post the lead with it, before expires_at; it can be posted once.' }),
  price_usd: z.number().meta({ description: 'What you are paid for the lead if the post sells it.' }),
  sale: z.enum(SALE_KINDS).meta({ description: 'exclusive: one buyer; shared: several buyers.' }),
  buyers: z.number().int().meta({ description: 'How many buyers the lead is sold to (its sell count).' }),
  expires_at: z.string(),
});

const pingAnswer = z.object({
  ping_id: z.string(),
  bid: bidView.nullable(),
  reason: z.string().optional().meta({ description: 'Without a bid: why nobody bids.' }),
});

const postBody = z.strictObject({ bid_id: z.string().min(1).max(4096), lead: leadBody });
const postQuery = z.object({
  wait_ms: z.coerce.number().int().min(100).max(30_000).optional().meta({
    description: 'How long to wait for the pipeline to decide before answering 202 pending.',
  }),
});

const postAnswer = z.object({
  lead_id: z.string(),
  status: z.enum(['sold', 'rejected']),
  stage: z.string(),
  reasons: z.array(z.object({ code: z.string(), field: z.string(), message: z.string() })),
  price_usd: z.number().nullable().meta({ description: 'Sold: what you are paid for the lead.' }),
  sale: z.enum(SALE_KINDS).nullable(),
  buyers: z.number().int().meta({ description: 'Sold: how many buyers have the lead.' }),
  status_url: z.string(),
});

const vendorOnly = { vendors: true } as const;
const security = [{ bearer: [] }];

export const pingPostRoutes: FastifyPluginAsyncZod<PingPostRoutesOptions> = async (app, options) => {
  const now = options.now ?? Date.now;
  const vendorIdOf = (request: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(request);
    if (principal.kind !== 'vendor') throw new Error('ping-post is for vendors only');
    return principal.vendorId;
  };

  app.post(
    '/v1/ping',
    {
      config: { access: vendorOnly, rateLimit: {} },
      schema: {
        tags: ['ping-post'],
        summary: 'Ask what a lead would sell for, without its contact details',
        description:
          'Answers with the best bid of the buyers whose filters (line, state, ZIP), schedules and caps take the ' +
          'lead now: sold to one buyer alone or shared by a few, whichever pays more. Nothing is written; a ' +
          'ping with contact details is refused (400 naming the field).',
        security,
        body: pingBody,
        response: { 200: pingAnswer, ...errorResponses(400, 401, 403, 415, 429) },
      },
    },
    async (request) => {
      const { line, state, zip, campaign } = request.body;
      const answer = await options.desk.ping(vendorIdOf(request), { line, state, zip: zip5(zip), campaign });
      if (!answer.bid) return { ping_id: answer.pingId, bid: null, reason: answer.reason };
      const { token, terms } = answer.bid;
      return {
        ping_id: answer.pingId,
        bid: {
          bid_id: token,
          price_usd: terms.vendorPriceCents / 100,
          sale: terms.kind,
          buyers: terms.buyers.length,
          expires_at: new Date(terms.expiresAt).toISOString(),
        },
      };
    },
  );

  app.post(
    '/v1/post',
    {
      config: { access: vendorOnly, idempotent: true, invalidInputError: 'invalid_lead', rateLimit: {} },
      schema: {
        tags: ['ping-post'],
        summary: 'Sell a pinged lead: post it in full with its bid',
        description:
          "The lead's line, state, ZIP and campaign must be the ping's (409 lead_differs_from_ping names the " +
          'fields). A bid is posted once (409 bid_used names the lead_id it was posted with), before it expires (409 bid_expired), while its buyers ' +
          'have room in their caps (409 buyer_cap_reached). The lead then passes the intake stages: 200 sold ' +
          'with the price, or rejected with the reasons (the buyers are not charged), or 202 pending if the ' +
          'decision takes longer than wait_ms. Honours Idempotency-Key.',
        security,
        querystring: postQuery,
        body: postBody,
        response: {
          200: postAnswer,
          202: pending,
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const vendorId = vendorIdOf(request);
      const { bid_id: bidId, lead: checked } = request.body;
      const claim = await options.desk.claim(vendorId, bidId, pingOfLead(checked.parsed.lead));
      if ('code' in claim) {
        throw new ApiError(claim.status, claim.code, claim.message, {
          ...(claim.problems ? { problems: claim.problems } : {}),
          ...(claim.leadId ? { lead_id: claim.leadId, status_url: `/v1/leads/${claim.leadId}` } : {}),
        });
      }
      // The lead takes its bid's id: a retry of a post whose answer was lost learns which lead won.
      const lead = rawLeadOf(checked.body, checked.parsed, {
        leadId: claim.sale.bidId,
        vendorId,
        channel: 'ping-post',
        receivedAt: now(),
        sale: claim.sale,
      });
      const statusUrl = `/v1/leads/${lead.leadId}`;
      const waitMs = request.query.wait_ms ?? options.syncWaitMs;
      const wait = options.decisions.expect(lead.leadId, waitMs);
      const unwritten = async () => {
        wait.cancel();
        await options.desk.release([claim.bidClaim, ...claim.buyerClaims]);
      };
      try {
        const refused = await options.writer.write([lead]);
        if (refused.length > 0) {
          await unwritten();
          refuseOver(refused);
        }
      } catch (error) {
        if (!(error instanceof ApiError)) await unwritten();
        throw error;
      }
      const decision = await wait.decided;
      if (!decision) {
        return reply
          .code(202)
          .send(pendingAnswer(lead.leadId, waitMs, 'sold unless an intake stage rejects it'));
      }
      const sold = decision.status === 'accepted';
      // A rejected lead is nobody's: its buyers get their places back (the bid stays used).
      if (!sold) await options.desk.release(claim.buyerClaims);
      return reply.code(200).send({
        lead_id: lead.leadId,
        status: sold ? 'sold' : 'rejected',
        stage: decision.stage,
        reasons: decision.reasons,
        price_usd: sold ? claim.sale.vendorPriceCents / 100 : null,
        sale: sold ? claim.sale.kind : null,
        buyers: sold ? claim.sale.buyers.length : 0,
        status_url: statusUrl,
      });
    },
  );
};
