/**
 * Returns: an agent gives back a bad lead it took, or a buyer one it bought by ping-post (POST
 * /v1/leads/:id/return); reviewers with returns:review list the agents' and the buyers' returns
 * waiting for them and approve or deny each. Agents' are records on agent.responses, which assign
 * decides on in the task that holds the lead and the agent's ledger; buyers' are records on
 * buyer.returns, which buyer-returns decides on in the task that holds the buyer's purchases
 * (window, reason, return rate; see processors/assign/returns.ts). Approved returns credit the
 * agent or buyer and charge the vendor back on the ledger.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RETURN_REASONS, type AgentResponse } from '../../schemas/assignment-records';
import type { BuyerReturnRequest } from '../../schemas/sale-records';
import {
  type BuyerReturnView,
  buyerReturnsUnderReview,
  buyerReviewDecision,
} from '../../sinks/postgres/buyer-returns';
import { returnsUnderReview, type ReturnView, reviewDecision } from '../../sinks/postgres/returns';
import { TOPIC } from '../../topics/platform';
import { principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import type { AgentApiDeps } from './agents';

const security = [{ bearer: [] }];
const reviewers = { roles: ['admin'], scopes: [SCOPES.returnsReview] } as const;
const leadParam = z.object({ id: z.string().min(1).max(100) });

/** Things agents ask to return leads for that say nothing bad about the lead. */
const NOT_REASONS: Record<string, string> = {
  not_interested: 'not interested',
  no_answer: 'no answer',
  already_insured: 'already insured',
  price: 'a price the consumer did not like',
};

const returnReason = z.string().superRefine((reason, ctx) => {
  if ((RETURN_REASONS as readonly string[]).includes(reason)) return;
  const not = NOT_REASONS[reason];
  ctx.addIssue({
    code: 'custom',
    message: not
      ? `${not} is not a reason to return a lead: returns are for bad leads (${RETURN_REASONS.join(', ')})`
      : `must be one of ${RETURN_REASONS.join(', ')}`,
  });
});

const recorded = z.object({ response_id: z.string(), status: z.literal('recorded'), note: z.string() });

const returnView = z.object({
  lead_id: z.string(),
  agent_id: z.string(),
  routing_group: z.string().nullable(),
  status: z.enum(['approved', 'pending', 'denied']),
  return_reason: z.string().nullable(),
  decision: z.string().nullable(),
  vendor_id: z.string(),
  price_charged_cents: z.number().nullable(),
  price_paid_cents: z.number().nullable(),
  at: z.string(),
});

const view = (r: ReturnView): z.infer<typeof returnView> => ({
  lead_id: r.leadId,
  agent_id: r.agentId,
  routing_group: r.routingGroup,
  status: r.status,
  return_reason: r.returnReason,
  decision: r.decision,
  vendor_id: r.vendorId,
  price_charged_cents: r.priceChargedCents,
  price_paid_cents: r.pricePaidCents,
  at: r.at,
});

const buyerReturnView = z.object({
  lead_id: z.string(),
  buyer_id: z.string(),
  status: z.enum(['approved', 'pending', 'denied']),
  return_reason: z.string().nullable(),
  why: z.string(),
  price_cents: z.number().nullable(),
  vendor_id: z.string().nullable(),
  at: z.string(),
});

const buyerView = (r: BuyerReturnView): z.infer<typeof buyerReturnView> => ({
  lead_id: r.leadId,
  buyer_id: r.buyerId,
  status: r.status,
  return_reason: r.returnReason,
  why: r.why,
  price_cents: r.priceCents,
  vendor_id: r.vendorId,
  at: r.at,
});

export const returnRoutes: FastifyPluginAsyncZod<AgentApiDeps> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  const publish = async (response: Omit<AgentResponse, 'responseId' | 'respondedAt' | 'channel'>) => {
    const record: AgentResponse = {
      ...response,
      responseId: randomUUID(),
      respondedAt: now(),
      channel: 'api',
    };
    await deps.publish(TOPIC.agentResponses, record.routingGroup, record);
    return record.responseId;
  };
  const publishBuyerReturn = async (fields: Omit<BuyerReturnRequest, 'requestId' | 'at'>) => {
    const record: BuyerReturnRequest = { ...fields, requestId: randomUUID(), at: now() };
    await deps.publish(TOPIC.buyerReturns, record.buyerId, record);
    return record.requestId;
  };
  const reads = () => {
    if (!deps.reads) {
      throw new ApiError(503, 'read_model_unavailable', 'read models are not configured in this process');
    }
    return deps.reads;
  };

  app.post(
    '/v1/leads/:id/return',
    {
      config: { access: { roles: ['agent', 'buyer'] }, idempotent: true, rateLimit: {} },
      schema: {
        tags: ['returns'],
        summary: 'Give back a bad lead you took or bought, with the reason',
        description:
          'Within the return window after the acceptance (agents) or the purchase (ping-post buyers). Reasons ' +
          'the policy trusts are approved at once while your return rate stays low; others wait for review. ' +
          "An agent's decision shows in the lead history (return_approved, return_pending, return_denied), a " +
          "buyer's on buyer.return-decisions. Honours Idempotency-Key.",
        security,
        params: leadParam,
        body: z.strictObject({ reason: returnReason }),
        response: { 202: recorded, ...errorResponses(400, 401, 403, 404, 409, 415, 429) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind !== 'token') throw new Error('returns take agent and buyer tokens only');
      if (principal.role === 'buyer') {
        const requestId = await publishBuyerReturn({
          buyerId: principal.subject,
          leadId: request.params.id,
          action: 'return',
          reason: request.body.reason,
          by: null,
        });
        return reply.code(202).send({
          response_id: requestId,
          status: 'recorded',
          note: `the return is decided if you bought lead ${request.params.id}`,
        });
      }
      const agent = deps.agent(principal.subject);
      if (!agent) throw new ApiError(404, 'not_found', `no agent ${principal.subject}`);
      const responseId = await publish({
        routingGroup: agent.routingGroup,
        leadId: request.params.id,
        offerId: '',
        agentId: agent.agentId,
        response: 'return',
        outcome: null,
        reason: request.body.reason,
        premiumUsd: null,
      });
      return reply.code(202).send({
        response_id: responseId,
        status: 'recorded',
        note: `the return is decided if lead ${request.params.id} is yours`,
      });
    },
  );

  app.get(
    '/v1/admin/returns',
    {
      config: { access: reviewers, rateLimit: {} },
      schema: {
        tags: ['returns'],
        summary: 'Returns waiting for review, oldest first',
        security,
        response: { 200: z.object({ returns: z.array(returnView) }), ...errorResponses(401, 403, 429, 503) },
      },
    },
    async () => ({ returns: (await returnsUnderReview(reads())).map(view) }),
  );

  app.get(
    '/v1/admin/buyers/returns',
    {
      config: { access: reviewers, rateLimit: {} },
      schema: {
        tags: ['returns'],
        summary: "Buyers' returns waiting for review, oldest first",
        description:
          'From the read models (buyer.return-decisions); decide each with POST /v1/admin/buyers/:buyer/returns/:id/approve|deny.',
        security,
        response: {
          200: z.object({ returns: z.array(buyerReturnView) }),
          ...errorResponses(401, 403, 429, 503),
        },
      },
    },
    async () => ({ returns: (await buyerReturnsUnderReview(reads())).map(buyerView) }),
  );

  for (const decision of ['approve', 'deny'] as const) {
    app.post(
      `/v1/admin/returns/:id/${decision}`,
      {
        config: { access: reviewers, idempotent: true, rateLimit: {} },
        schema: {
          tags: ['returns'],
          summary: decision === 'approve' ? 'Approve a return under review' : 'Deny a return under review',
          description:
            'Approving credits the agent its price and charges the vendor back. 404 when the lead has no ' +
            'return, 409 when it is not waiting for review.',
          security,
          params: leadParam,
          response: { 202: recorded, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.kind !== 'token') throw new Error('reviews take admin tokens only');
        const review = await reviewDecision(reads(), request.params.id, decision, principal.subject);
        if (!review.ok) {
          throw review.problem === 'no_return'
            ? new ApiError(404, 'not_found', review.message)
            : new ApiError(409, 'conflict', review.message);
        }
        const responseId = await publish(review.response);
        return reply.code(202).send({
          response_id: responseId,
          status: 'recorded',
          note: `the return of lead ${request.params.id} is ${decision === 'approve' ? 'approved' : 'denied'} once assign applies it`,
        });
      },
    );
  }

  for (const decision of ['approve', 'deny'] as const) {
    app.post(
      `/v1/admin/buyers/:buyer/returns/:id/${decision}`,
      {
        config: { access: reviewers, idempotent: true, rateLimit: {} },
        schema: {
          tags: ['returns'],
          summary:
            decision === 'approve'
              ? "Approve a buyer's return under review"
              : "Deny a buyer's return under review",
          description:
            'Approving credits the buyer what it paid and charges the vendor back its share. buyer-returns applies it ' +
            'if the return is waiting for review; the outcome is on buyer.return-decisions. Where the read models ' +
            'are configured: 404 when the buyer has no return of the lead, 409 when it is not waiting for review.',
          security,
          params: z.object({ buyer: z.string().min(1).max(64), id: z.string().min(1).max(100) }),
          response: { 202: recorded, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.kind !== 'token') throw new Error('reviews take admin tokens only');
        const fields: Omit<BuyerReturnRequest, 'requestId' | 'at'> = {
          buyerId: request.params.buyer,
          leadId: request.params.id,
          action: decision,
          reason: null,
          by: principal.subject,
        };
        // With read models, check there is a return waiting; without, buyer-returns alone decides
        // (it ignores a review of a return that is not waiting for one).
        if (deps.reads) {
          const review = await buyerReviewDecision(
            deps.reads,
            fields.leadId,
            fields.buyerId,
            decision,
            principal.subject,
          );
          if (!review.ok) {
            throw review.problem === 'no_return'
              ? new ApiError(404, 'not_found', review.message)
              : new ApiError(409, 'conflict', review.message);
          }
        }
        const requestId = await publishBuyerReturn(fields);
        return reply.code(202).send({
          response_id: requestId,
          status: 'recorded',
          note: `the return of lead ${request.params.id} by buyer ${request.params.buyer} is ${decision === 'approve' ? 'approved' : 'denied'} if it waits for review`,
        });
      },
    );
  }
};
