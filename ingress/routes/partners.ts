/**
 * The partner API: admins register partners and set their status; partners submit referrals (a
 * lead they already sent, or a contact that becomes a lead here) and read their referrals,
 * rewards and payouts. Writes are events (partners, referrals, leads.raw); reads come from the
 * rewards read models. Payout details never travel or stay: only the method, the last four
 * characters and a SHA-256 fingerprint of the account are kept.
 */
import { refuseOver } from './leads';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PARTNER_STATUSES, type Partner, PAYOUT_METHODS } from '../../schemas/reward-records';
import { parseLeadInput } from '../../schemas/lead';
import { rawLeadOf } from '../../schemas/raw-lead';
import type { Queryable } from '../../sinks/postgres/database';
import { accountStatement, partnerReferrals } from '../../sinks/postgres/rewards-figures';
import { TOPIC } from '../../topics/platform';
import { type Principal, principalOf } from '../auth/access';
import { ApiError, errorResponses, InvalidRequestError } from '../errors';
import type { RawLeadWriter } from '../lead-writer';

/** What the partner and community routes need: the topics they write, the tables they read. */
export interface RewardsApiDeps {
  publish(topic: string, key: string, value: unknown): Promise<void>;
  partner(partnerId: string): Partner | undefined;
  leads: RawLeadWriter;
  /** The rewards read models; null when this process has none (reads answer 503). */
  reads: Queryable | null;
  now?: () => number;
}

/** The vendor id leads that partners send as contacts arrive under. */
export const PARTNER_REFERRALS_VENDOR = 'partner-referrals';

const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dots, dashes and underscores');

const registration = z.object({
  partner_id: id,
  name: z.string().trim().min(1).max(200),
  status: z.enum(PARTNER_STATUSES).default('active'),
  plan: z.string().min(1).max(60).nullable().default(null),
  routing_group: z.string().min(1).max(100).nullable().default(null),
  payout: z
    .object({
      method: z.enum(PAYOUT_METHODS),
      account: z.string().trim().min(4).max(200).meta({
        description:
          'Account number or payout address; only its last four characters and a fingerprint are kept.',
      }),
    })
    .nullable()
    .default(null),
});

const update = z
  .object({
    status: z.enum(PARTNER_STATUSES).optional(),
    plan: z.string().min(1).max(60).nullable().optional(),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one of status, plan, name' });

const submission = z
  .object({
    lead_id: id.optional().meta({ description: 'A lead already sent (by the partner or a vendor).' }),
    lead: z
      .looseObject({})
      .optional()
      .meta({ description: 'A contact to submit as a new lead (the vendor lead body).' }),
    note: z.string().max(1000).nullable().default(null),
  })
  .refine((body) => (body.lead_id === undefined) !== (body.lead === undefined), {
    message: 'send exactly one of lead_id and lead',
    path: ['lead_id'],
  });

const partnerView = z.object({ partner_id: z.string(), status: z.string() });
const security = [{ bearer: [] }];
const adminOnly = { roles: ['admin'] } as const;
const partnerOrAdmin = { roles: ['admin', 'partner'] } as const;

export const fingerprint = (method: string, account: string) =>
  createHash('sha256').update(`${method}:${account}`).digest('hex');

/** A partner token acts for its own partner id (its subject); admins for any. */
export function assertActsFor(principal: Principal, role: 'partner' | 'agent', accountId: string): void {
  if (principal.kind === 'token' && principal.role === role && principal.subject !== accountId) {
    throw new ApiError(403, 'forbidden', `a ${role} token may only act for its own ${role} id`);
  }
}

/** The id a token acts as (agent and partner routes take tokens only). */
export function subjectOf(principal: Principal): string {
  if (principal.kind !== 'token') throw new ApiError(403, 'forbidden', 'this endpoint takes tokens only');
  return principal.subject;
}

export function readsOf(deps: RewardsApiDeps): Queryable {
  if (!deps.reads) {
    throw new ApiError(
      503,
      'read_model_unavailable',
      'rewards read models are not configured in this process',
    );
  }
  return deps.reads;
}

export const partnerRoutes: FastifyPluginAsyncZod<RewardsApiDeps> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  const known = (partnerId: string) => {
    const partner = deps.partner(partnerId);
    if (!partner) throw new ApiError(404, 'not_found', `no partner ${partnerId}`);
    return partner;
  };

  app.post(
    '/v1/partners',
    {
      config: { access: adminOnly, idempotent: true },
      schema: {
        tags: ['partners'],
        summary: 'Register a referral partner (admin)',
        security,
        body: registration,
        response: { 201: partnerView, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (deps.partner(body.partner_id)) {
        throw new ApiError(409, 'partner_exists', `partner ${body.partner_id} is already registered`);
      }
      const at = now();
      const partner: Partner = {
        partnerId: body.partner_id,
        name: body.name,
        status: body.status,
        plan: body.plan,
        routingGroup: body.routing_group,
        payout: body.payout && {
          method: body.payout.method,
          last4: body.payout.account.slice(-4),
          fingerprint: fingerprint(body.payout.method, body.payout.account),
        },
        registeredAt: at,
        updatedAt: at,
        source: 'api',
      };
      await deps.publish(TOPIC.partners, partner.partnerId, partner);
      return reply.code(201).send({ partner_id: partner.partnerId, status: partner.status });
    },
  );

  app.patch(
    '/v1/partners/:id',
    {
      config: { access: adminOnly },
      schema: {
        tags: ['partners'],
        summary: "Change a partner's status, plan or name (admin)",
        security,
        params: z.object({ id }),
        body: update,
        response: { 200: partnerView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const partner = known(request.params.id);
      const changed: Partner = { ...partner, ...request.body, updatedAt: now(), source: 'api' };
      await deps.publish(TOPIC.partners, changed.partnerId, changed);
      return { partner_id: changed.partnerId, status: changed.status };
    },
  );

  app.post(
    '/v1/partners/:id/referrals',
    {
      config: { access: partnerOrAdmin, idempotent: true },
      schema: {
        tags: ['partners'],
        summary: 'Refer a lead, or a contact that becomes a lead',
        description:
          'The referral moves on as its lead does: qualified when scored, converted when sold, rewarded when ' +
          'the commission is credited; rejected or expired otherwise. Honours Idempotency-Key.',
        security,
        params: z.object({ id }),
        body: submission,
        response: {
          202: z.object({ lead_id: z.string(), status: z.literal('submitted'), status_url: z.string() }),
          ...errorResponses(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const partnerId = request.params.id;
      assertActsFor(principalOf(request), 'partner', partnerId);
      const partner = known(partnerId);
      if (partner.status !== 'active') {
        throw new ApiError(403, 'partner_not_active', `partner ${partnerId} is ${partner.status}`);
      }
      const at = now();
      let leadId = request.body.lead_id;
      if (request.body.lead) {
        // The partner id travels with the lead as an extra field, which routing reads.
        const body = { ...request.body.lead, partnerId };
        const parsed = parseLeadInput(body);
        if (!parsed.ok) {
          throw new InvalidRequestError(parsed.errors.map((e) => ({ ...e, field: `lead.${e.field}` })));
        }
        const raw = rawLeadOf(body, parsed, {
          vendorId: PARTNER_REFERRALS_VENDOR,
          channel: 'partner',
          receivedAt: at,
        });
        refuseOver(await deps.leads.write([raw]));
        leadId = raw.leadId;
      }
      await deps.publish(TOPIC.referrals, leadId!, {
        eventId: randomUUID(),
        leadId,
        partnerId,
        type: 'submitted',
        at,
        reason: null,
        premiumCents: null,
        commissionCents: null,
        agentId: null,
        note: request.body.note,
      });
      return reply
        .code(202)
        .send({ lead_id: leadId!, status: 'submitted', status_url: `/v1/partners/${partnerId}/referrals` });
    },
  );

  app.get(
    '/v1/partners/:id/referrals',
    {
      config: { access: partnerOrAdmin },
      schema: {
        tags: ['partners'],
        summary: "A partner's referrals and their status",
        security,
        params: z.object({ id }),
        response: { 200: z.looseObject({}), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      assertActsFor(principalOf(request), 'partner', request.params.id);
      known(request.params.id);
      return { referrals: await partnerReferrals(readsOf(deps), request.params.id) };
    },
  );

  app.get(
    '/v1/partners/:id/rewards',
    {
      config: { access: partnerOrAdmin },
      schema: {
        tags: ['partners'],
        summary: "A partner's balance, latest ledger entries and payout batches",
        description: 'The balance is the sum of the ledger; amounts are US cents.',
        security,
        params: z.object({ id }),
        response: { 200: z.looseObject({}), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      assertActsFor(principalOf(request), 'partner', request.params.id);
      known(request.params.id);
      return { ...(await accountStatement(readsOf(deps), 'partner', request.params.id)) };
    },
  );
};
