import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Principal, principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import { rawLeadOf } from '../../schemas/raw-lead';
import type { RawLeadWriter } from '../lead-writer';
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

const acceptedBatch = z.object({
  lead_ids: z.array(z.string()).meta({ description: 'In the order of the leads sent.' }),
  count: z.number().int(),
  status: z.literal('accepted'),
});

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
          'downstream by validate; rejections carry reasons. Honours Idempotency-Key.',
        security,
        body: leadBody,
        response: { 202: accepted, ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const lead = rawLeadOf(request.body.body, request.body.parsed, {
        vendorId: vendorIdOf(principalOf(request)),
        channel: 'api',
        receivedAt: now(),
      });
      await options.writer.write([lead]);
      return reply
        .code(202)
        .send({ lead_id: lead.leadId, status: 'accepted', status_url: `/v1/leads/${lead.leadId}` });
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
          '(fields as leads.<index>.<field>). Honours Idempotency-Key.',
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
      await options.writer.write(leads);
      return reply
        .code(202)
        .send({ lead_ids: leads.map((l) => l.leadId), count: leads.length, status: 'accepted' });
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
