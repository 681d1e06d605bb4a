import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Principal, principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import { rawLeadOf } from '../../schemas/raw-lead';
import type { RawLeadWriter, RefusedLead } from '../lead-writer';
import { INTAKE_REFUSALS } from '../../schemas/intake-records';
import type { LeadDecisions } from '../lead-decisions';
import { leadBatchBody, leadBody } from './lead-body';

/**
 * The lead read model (sinks/postgres): a lead's current stage, score, assignment and history,
 * or null when there is no such lead, or it is not `vendorId`'s when that is given.
 */
export interface LeadReader {
  getLead(leadId: string, scope: { vendorId?: string }): Promise<unknown>;
}

export interface LeadRoutesOptions {
  writer: RawLeadWriter;
  /** The pipeline's decisions, for submissions that wait for theirs (mode=sync). */
  decisions: LeadDecisions;
  /** How long a synchronous submission waits by default (wait_ms overrides, up to 30 s). */
  syncWaitMs: number;
  batchMaxLeads: number;
  /** Null until the read models are configured: GET then answers 503. */
  reader: LeadReader | null;
  now?: () => number;
}

const accepted = z.object({
  lead_id: z.string(),
  status: z.literal('accepted'),
  status_url: z.string(),
});

const decided = z.object({
  lead_id: z.string(),
  status: z.enum(['accepted', 'rejected']),
  stage: z
    .string()
    .meta({ description: 'The stage that decided: validate, screen-phone, screen-email, enrich or match.' }),
  reasons: z.array(z.object({ code: z.string(), field: z.string(), message: z.string() })),
  price_usd: z
    .number()
    .nullable()
    .meta({ description: 'Accepted: what the lead is paid, USD; null when no price applies.' }),
  status_url: z.string(),
});

export const pending = z.object({
  lead_id: z.string(),
  status: z.literal('pending'),
  status_url: z.string(),
  note: z.string(),
});

const submission = z.object({
  mode: z
    .enum(['async', 'sync'])
    .default('async')
    .meta({ description: 'sync: answer with the pipeline decision (accepted or rejected, reasons, price).' }),
  wait_ms: z.coerce
    .number()
    .int()
    .min(100)
    .max(30_000)
    .optional()
    .meta({ description: 'sync: how long to wait for the decision before answering 202 pending.' }),
});

const acceptedBatch = z.object({
  lead_ids: z.array(z.string()).meta({ description: 'In the order of the leads sent.' }),
  count: z.number().int().meta({ description: 'Leads written (those sent less those refused).' }),
  status: z.literal('accepted'),
  refused: z
    .array(
      z.object({
        index: z.number().int(),
        lead_id: z.string(),
        code: z.enum(INTAKE_REFUSALS),
        message: z.string(),
      }),
    )
    .meta({ description: "Leads kept out by their vendor's caps or schedule, by index; not written." }),
});

/** The 202 of a submission whose decision takes longer than it waits: the lead flows on. */
export function pendingAnswer(leadId: string, waitMs: number, then: string): z.infer<typeof pending> {
  return {
    lead_id: leadId,
    status: 'pending',
    status_url: `/v1/leads/${leadId}`,
    note: `no decision within ${waitMs} ms: the lead is in the pipeline, ${then}`,
  };
}

/** A single lead kept out by a cap or schedule: 422 with the reason, and nothing written. */
export function refuseOver(refused: readonly RefusedLead[]): void {
  const [first] = refused;
  if (first) {
    throw new ApiError(422, first.code, first.message, {
      problems: [{ field: 'source', code: first.code, message: first.message }],
    });
  }
}

const leadId = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._:-]+$/, 'a lead id holds letters, digits, dots, colons, dashes and underscores'),
});

/** A batch of the largest allowed size with generous leads (a few KB each) fits. */
const BATCH_BODY_LIMIT = 16 * 1024 * 1024;

const vendorOnly = { vendors: true } as const;
const security = [{ bearer: [] }];

export const leadRoutes: FastifyPluginAsyncZod<LeadRoutesOptions> = async (app, options) => {
  const now = options.now ?? Date.now;
  const vendorIdOf = (principal: Principal) => {
    if (principal.kind !== 'vendor') throw new Error('lead submission is for vendors only');
    return principal.vendorId;
  };

  app.post(
    '/v1/leads',
    {
      config: { access: vendorOnly, idempotent: true, invalidInputError: 'invalid_lead', rateLimit: {} },
      schema: {
        tags: ['leads'],
        summary: 'Submit one lead',
        description:
          'Answers 202 once the lead is durably in leads.raw. Content (phone, email, ZIP, consent) is checked ' +
          'downstream by validate; rejections carry reasons. With mode=sync, answers 200 with what the ' +
          'pipeline decided (rejected by an intake stage with its reasons, or accepted with its price) as soon ' +
          "as it is decided, or 202 pending if that takes longer than wait_ms. A lead over its vendor's cap, " +
          'or outside its schedule, is refused with 422 cap_reached or outside_schedule. Honours Idempotency-Key.',
        security,
        querystring: submission,
        body: leadBody,
        response: {
          200: decided,
          202: z.union([accepted, pending]),
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const lead = rawLeadOf(request.body.body, request.body.parsed, {
        vendorId: vendorIdOf(principalOf(request)),
        channel: 'api',
        receivedAt: now(),
      });
      const statusUrl = `/v1/leads/${lead.leadId}`;
      if (request.query.mode === 'async') {
        refuseOver(await options.writer.write([lead]));
        return reply.code(202).send({ lead_id: lead.leadId, status: 'accepted', status_url: statusUrl });
      }
      const waitMs = request.query.wait_ms ?? options.syncWaitMs;
      // Waiting before writing: the decision cannot come before its waiter.
      const wait = options.decisions.expect(lead.leadId, waitMs);
      try {
        refuseOver(await options.writer.write([lead]));
      } catch (error) {
        wait.cancel();
        throw error;
      }
      const decision = await wait.decided;
      if (!decision) {
        return reply
          .code(202)
          .send(pendingAnswer(lead.leadId, waitMs, 'its status follows at status_url and by webhook'));
      }
      return reply.code(200).send({
        lead_id: lead.leadId,
        status: decision.status,
        stage: decision.stage,
        reasons: decision.reasons,
        price_usd: decision.pricePaidCents === null ? null : decision.pricePaidCents / 100,
        status_url: statusUrl,
      });
    },
  );

  app.post(
    '/v1/leads/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT,
      config: { access: vendorOnly, idempotent: true, invalidInputError: 'invalid_lead', rateLimit: {} },
      schema: {
        tags: ['leads'],
        summary: `Submit up to ${options.batchMaxLeads} leads at once`,
        description:
          'All or nothing: if any lead has a structural problem, none is written and every problem is listed ' +
          "(fields as leads.<index>.<field>). Leads over their vendor's caps or outside its schedule are listed " +
          'in refused and not written; the first leads of a batch take the last places. Honours Idempotency-Key.',
        security,
        body: leadBatchBody(options.batchMaxLeads),
        response: { 202: acceptedBatch, ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const vendorId = vendorIdOf(principalOf(request));
      const receivedAt = now();
      const leads = request.body.leads.map((lead) =>
        rawLeadOf(lead.body, lead.parsed, { vendorId, channel: 'api', receivedAt }),
      );
      const refused = await options.writer.write(leads);
      return reply.code(202).send({
        lead_ids: leads.map((l) => l.leadId),
        count: leads.length - refused.length,
        status: 'accepted',
        refused: refused.map(({ index, code, message }) => ({
          index,
          lead_id: leads[index]!.leadId,
          code,
          message,
        })),
      });
    },
  );

  app.get(
    '/v1/leads/:id',
    {
      config: {
        access: { vendors: true, roles: ['admin', 'agent'], scopes: [SCOPES.leadsRead] },
        rateLimit: {},
      },
      schema: {
        tags: ['leads'],
        summary: "A lead's current stage, score, assignment and history",
        description: 'Vendors see their own leads only; tokens need the leads:read scope.',
        security,
        params: leadId,
        response: {
          200: z.looseObject({}).meta({ description: 'The lead as the read models hold it.' }),
          ...errorResponses(400, 401, 403, 404, 429, 503),
        },
      },
    },
    async (request) => {
      if (!options.reader) {
        throw new ApiError(
          503,
          'read_model_unavailable',
          'lead read models are not configured in this process',
        );
      }
      const principal = principalOf(request);
      const lead = await options.reader.getLead(
        request.params.id,
        principal.kind === 'vendor' ? { vendorId: principal.vendorId } : {},
      );
      // Another vendor's lead is answered like a missing one, so ids cannot be probed.
      if (lead === null || lead === undefined) {
        throw new ApiError(404, 'not_found', `no lead ${request.params.id}`);
      }
      return lead as Record<string, unknown>;
    },
  );
};
