/**
 * The agent API: an agent reads its profile, sets its availability, lists its open offers,
 * accepts or declines them and reports outcomes; admins (agents:write) create and change any
 * agent. Profiles are records on the compacted agents topic; answers and outcomes are records on
 * agent.responses, which assign applies (it checks the offer is open and the lead is this
 * agent's). Reads of offers come from the read models.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OUTCOMES, type AgentResponse } from '../../schemas/assignment-records';
import { agentInputOf, parseAgent } from '../../processors/match/agent-profile';
import { AGENT_STATUSES, type Agent } from '../../schemas/routing-records';
import type { Queryable } from '../../sinks/postgres/database';
import { openOffers } from '../../sinks/postgres/read-models';
import { TOPIC } from '../../topics/platform';
import { type Principal, principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';

export interface AgentApiDeps {
  publish(topic: string, key: string, value: unknown): Promise<void>;
  /** The current profile on the agents topic. */
  agent(agentId: string): Agent | undefined;
  /** The read models; null when this process has none (offer lists answer 503). */
  reads: Queryable | null;
  now?: () => number;
}

const security = [{ bearer: [] }];
const agentsOrAdmins = { roles: ['agent', 'admin'] } as const;
const agentsOnly = { roles: ['agent'] } as const;

const agentParam = z.object({
  agentId: z.string().min(1).max(100).meta({ description: 'An agent id, or "me" for the calling agent.' }),
});
const offerParam = z.object({
  offerId: z
    .string()
    .regex(/^.+:\d+$/, 'an offer id is <lead id>:<attempt>, as offers and notifications carry it'),
});
const leadParam = z.object({ id: z.string().min(1).max(100) });

const availability = z
  .strictObject({
    status: z.enum(AGENT_STATUSES).optional(),
    capacity: z
      .strictObject({
        daily: z.number().int().min(1).max(1000),
        concurrent: z.number().int().min(1).max(100),
      })
      .optional(),
    working_hours: z
      .strictObject({
        time_zone: z.string().min(1).max(60).optional(),
        days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
        start: z.string(),
        end: z.string(),
      })
      .optional(),
    queue_outside_hours: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'name at least one of status, capacity, working_hours, queue_outside_hours',
  });

const profileView = z
  .looseObject({ agentId: z.string(), status: z.string(), routingGroup: z.string() })
  .meta({ description: 'The profile as the agents topic holds it.' });
// The schema only names the fields every client relies on; the rest of the profile passes through.
const asView = (agent: Agent) => ({ ...agent }) as Record<string, unknown> as z.infer<typeof profileView>;
const offerView = z.object({
  lead_id: z.string(),
  offer_id: z.string(),
  routing_group: z.string().nullable(),
  line: z.string().nullable(),
  state: z.string().nullable(),
  score: z.number().nullable(),
  tier: z.string().nullable(),
  offered_at: z.string(),
  expires_at: z.string().nullable(),
});
const recorded = z.object({
  response_id: z.string(),
  status: z.literal('recorded'),
  note: z.string(),
});

/** The agent a request is about: agents only ever themselves, admins anyone. */
function subjectAgent(principal: Principal, requested: string): string {
  if (principal.kind !== 'token') throw new Error('agent routes take tokens only');
  if (principal.role === 'agent') {
    if (requested !== 'me' && requested !== principal.subject) {
      throw new ApiError(403, 'forbidden', "an agent may only act on its own profile (use 'me')");
    }
    return principal.subject;
  }
  if (requested === 'me')
    throw new ApiError(400, 'invalid_request', "'me' is for agent tokens; name the agent");
  return requested;
}

function requireWriteScope(principal: Principal): void {
  if (principal.kind === 'token' && principal.role === 'admin' && !principal.scopes.has(SCOPES.agentsWrite)) {
    throw new ApiError(403, 'insufficient_scope', `the token lacks the scope ${SCOPES.agentsWrite}`);
  }
}

/** A profile that fails validation: 400 naming every field, like the route schemas' errors. */
const profileErrors = (errors: { field: string; message: string }[]) =>
  new ApiError(400, 'invalid_agent', 'the agent profile has invalid fields', {
    problems: errors.map((e) => ({ field: e.field, code: 'invalid', message: e.message })),
  });

export const agentRoutes: FastifyPluginAsyncZod<AgentApiDeps> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  const known = (agentId: string) => {
    const agent = deps.agent(agentId);
    if (!agent) throw new ApiError(404, 'not_found', `no agent ${agentId}`);
    return agent;
  };

  app.get(
    '/v1/agents/:agentId',
    {
      config: { access: agentsOrAdmins, rateLimit: {} },
      schema: {
        tags: ['agents'],
        summary: "An agent's routing profile",
        security,
        params: agentParam,
        response: { 200: profileView, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => asView(known(subjectAgent(principalOf(request), request.params.agentId))),
  );

  app.put(
    '/v1/agents/:agentId',
    {
      config: { access: { roles: ['admin'], scopes: [SCOPES.agentsWrite] }, idempotent: true, rateLimit: {} },
      schema: {
        tags: ['agents'],
        summary: 'Create or replace an agent profile',
        description: 'The body is the profile as `leadflow agents import` takes it (JSON field names).',
        security,
        params: agentParam,
        body: z.looseObject({}),
        response: { 200: profileView, ...errorResponses(400, 401, 403, 409, 415, 429) },
      },
    },
    async (request) => {
      const agentId = subjectAgent(principalOf(request), request.params.agentId);
      const parsed = parseAgent({ ...request.body, agentId }, now(), 'api');
      if (!parsed.ok) throw profileErrors(parsed.errors);
      await deps.publish(TOPIC.agents, agentId, parsed.agent);
      return asView(parsed.agent);
    },
  );

  app.patch(
    '/v1/agents/:agentId/availability',
    {
      config: { access: agentsOrAdmins, idempotent: true, rateLimit: {} },
      schema: {
        tags: ['agents'],
        summary: 'Set availability: status, capacity, working hours, queueing outside hours',
        description: 'Routing uses the new values from its next lead on.',
        security,
        params: agentParam,
        body: availability,
        response: { 200: profileView, ...errorResponses(400, 401, 403, 404, 409, 415, 429) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      requireWriteScope(principal);
      const current = known(subjectAgent(principal, request.params.agentId));
      const change = request.body;
      const input = agentInputOf(current);
      const parsed = parseAgent(
        {
          ...input,
          ...(change.status ? { status: change.status } : {}),
          ...(change.capacity ? { capacity: change.capacity } : {}),
          ...(change.queue_outside_hours !== undefined
            ? { queueOutsideHours: change.queue_outside_hours }
            : {}),
          ...(change.working_hours
            ? {
                workingHours: {
                  timeZone: change.working_hours.time_zone ?? current.workingHours.timeZone,
                  days: change.working_hours.days,
                  start: change.working_hours.start,
                  end: change.working_hours.end,
                },
              }
            : {}),
        },
        now(),
        'api',
      );
      if (!parsed.ok) {
        const names: Record<string, string> = {
          workingHours: 'working_hours',
          timeZone: 'time_zone',
          queueOutsideHours: 'queue_outside_hours',
        };
        throw profileErrors(
          parsed.errors.map((e) => ({
            field: e.field
              .split('.')
              .map((part) => names[part] ?? part)
              .join('.'),
            message: e.message,
          })),
        );
      }
      await deps.publish(TOPIC.agents, current.agentId, parsed.agent);
      return asView(parsed.agent);
    },
  );

  app.get(
    '/v1/agents/:agentId/offers',
    {
      config: { access: agentsOrAdmins, rateLimit: {} },
      schema: {
        tags: ['agents'],
        summary: 'Open offers waiting for the agent',
        security,
        params: agentParam,
        response: {
          200: z.object({ offers: z.array(offerView) }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const agentId = subjectAgent(principalOf(request), request.params.agentId);
      if (!deps.reads) {
        throw new ApiError(503, 'read_model_unavailable', 'read models are not configured in this process');
      }
      const offers = await openOffers(deps.reads, agentId);
      return {
        offers: offers.map((o) => ({
          lead_id: o.leadId,
          offer_id: o.offerId,
          routing_group: o.routingGroup,
          line: o.line,
          state: o.state,
          score: o.score,
          tier: o.tier,
          offered_at: o.offeredAt,
          expires_at: o.expiresAt,
        })),
      };
    },
  );

  /** Records an agent's response on agent.responses, in the routing group of the agent's profile. */
  const respond = async (
    agentId: string,
    answer: Pick<AgentResponse, 'leadId' | 'offerId' | 'response' | 'outcome' | 'reason' | 'premiumUsd'>,
  ) => {
    const agent = known(agentId);
    const response: AgentResponse = {
      responseId: randomUUID(),
      routingGroup: agent.routingGroup,
      agentId,
      respondedAt: now(),
      channel: 'api',
      ...answer,
    };
    await deps.publish(TOPIC.agentResponses, response.routingGroup, response);
    return response.responseId;
  };

  for (const answer of ['accept', 'decline'] as const) {
    app.post(
      `/v1/offers/:offerId/${answer}`,
      {
        config: { access: agentsOnly, idempotent: true, rateLimit: {} },
        schema: {
          tags: ['agents'],
          summary: answer === 'accept' ? 'Accept an offer' : 'Decline an offer',
          description:
            'Answers 202 once the answer is durable; assign applies it if the offer is still open (a late ' +
            'answer shows as response_rejected in the lead history). Honours Idempotency-Key.',
          security,
          params: offerParam,
          ...(answer === 'decline'
            ? {
                body: z
                  .strictObject({ reason: z.string().max(500).nullable().default(null) })
                  .default({ reason: null }),
              }
            : {}),
          response: { 202: recorded, ...errorResponses(400, 401, 403, 404, 409, 415, 429) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const agentId = subjectAgent(principal, 'me');
        const { offerId } = request.params;
        const body = request.body as { reason?: string | null } | undefined;
        const responseId = await respond(agentId, {
          leadId: offerId.slice(0, offerId.lastIndexOf(':')),
          offerId,
          response: answer,
          outcome: null,
          reason: body?.reason ?? null,
          premiumUsd: null,
        });
        return reply.code(202).send({
          response_id: responseId,
          status: 'recorded',
          note: `the ${answer} applies if offer ${offerId} is still open to you`,
        });
      },
    );
  }

  app.post(
    '/v1/leads/:id/outcome',
    {
      config: { access: agentsOnly, idempotent: true, rateLimit: {} },
      schema: {
        tags: ['agents'],
        summary: 'Report what happened to a lead you took: contacted, quoted, sold or lost',
        security,
        params: leadParam,
        body: z
          .strictObject({
            outcome: z.enum(OUTCOMES),
            premium_usd: z.number().positive().max(10_000_000).nullable().default(null).meta({
              description: 'With sold: the annual premium of the policy (what commissions are paid on).',
            }),
            reason: z.string().max(500).nullable().default(null),
          })
          .refine((b) => b.premium_usd === null || b.outcome === 'sold', {
            message: 'premium_usd goes with outcome sold only',
            path: ['premium_usd'],
          }),
        response: { 202: recorded, ...errorResponses(400, 401, 403, 404, 409, 415, 429) },
      },
    },
    async (request, reply) => {
      const agentId = subjectAgent(principalOf(request), 'me');
      const responseId = await respond(agentId, {
        leadId: request.params.id,
        offerId: '',
        response: 'outcome',
        outcome: request.body.outcome,
        reason: request.body.reason,
        premiumUsd: request.body.premium_usd,
      });
      return reply.code(202).send({
        response_id: responseId,
        status: 'recorded',
        note: `the outcome applies if lead ${request.params.id} is assigned to you`,
      });
    },
  );
};
