/**
 * Data subjects' erasure requests (GDPR art. 17, CCPA delete), for admins with the privacy:erase
 * scope: ask for one, then follow it. The erase stage does the work (processors/erase).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ErasureDeps, requestErasure } from '../erasure-requests';
import { SubjectQueryError } from '../../processors/erase/subjects';
import { principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import type { ErasureStatus } from '../../sinks/postgres/privacy';

export interface PrivacyApiDeps {
  erasures: ErasureDeps;
  /** Null until the read models are configured: GET then answers 503. */
  status: ((requestId: string) => Promise<ErasureStatus | null>) | null;
}

const erasureRequestBody = z
  .object({
    email: z.string().max(320).optional().meta({ description: "The subject's email." }),
    phone: z.string().max(40).optional().meta({ description: "The subject's phone (US)." }),
  })
  .meta({ description: 'Name the subject by email, phone or both; leads with either are erased.' });

const accepted = z.object({
  request_id: z.string(),
  parts: z.number().int().meta({ description: 'Identities named: the request is done when each is.' }),
  status_url: z.string(),
});

const status = z.object({
  request_id: z.string(),
  status: z.enum(['pending', 'done']),
  parts: z.number().int(),
  parts_done: z.number().int(),
  leads_erased: z.number().int(),
  requested_at: z.string(),
  completed_at: z.string().nullable(),
});

const access = { roles: ['admin'], scopes: [SCOPES.privacyErase] } as const;
const security = [{ bearer: [] }];
const statusUrl = (id: string) => `/v1/admin/privacy/erasures/${id}`;

export const privacyRoutes: FastifyPluginAsyncZod<PrivacyApiDeps> = async (app, deps) => {
  app.post(
    '/v1/admin/privacy/erasures',
    {
      config: { access, idempotent: true, rateLimit: {} },
      schema: {
        tags: ['admin'],
        summary: 'Erase a data subject (admin role, privacy:erase scope)',
        description:
          'Every lead with the email or phone becomes unreadable in every topic and copy (its data key is replaced by an erased mark); the read models, graph and vectors drop what is left of it. Answers once the request is durable; follow it at status_url. The audit keeps that it was done, not whose data it was.',
        security,
        body: erasureRequestBody,
        response: { 202: accepted, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const by = principal.kind === 'token' ? `${principal.role}:${principal.subject}` : 'unknown';
      try {
        const { requestId, parts } = await requestErasure(request.body, deps.erasures, by);
        return reply.code(202).send({ request_id: requestId, parts, status_url: statusUrl(requestId) });
      } catch (error) {
        if (error instanceof SubjectQueryError) {
          throw new ApiError(400, 'invalid_request', 'the request has invalid fields', {
            problems: [{ field: error.field ?? '', code: 'invalid_value', message: error.message }],
          });
        }
        throw error;
      }
    },
  );

  app.get(
    '/v1/admin/privacy/erasures/:id',
    {
      config: { access },
      schema: {
        tags: ['admin'],
        summary: "An erasure request's progress",
        security,
        params: z.object({ id: z.string().min(1).max(100) }),
        response: { 200: status, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      if (!deps.status)
        throw new ApiError(503, 'read_model_unavailable', 'read models are not configured in this process');
      const found = await deps.status(request.params.id);
      // Before the erase stage has done any part, the read models do not know the request yet.
      if (!found)
        throw new ApiError(404, 'not_found', `no erasure ${request.params.id} done in any part yet`);
      return {
        request_id: found.requestId,
        status: found.status,
        parts: found.parts,
        parts_done: found.partsDone,
        leads_erased: found.leads,
        requested_at: found.requestedAt,
        completed_at: found.completedAt,
      };
    },
  );
};
