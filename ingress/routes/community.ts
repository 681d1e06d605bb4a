/**
 * The community API and VIP status: agents post discussions and success stories, comment and
 * like; admins feature stories; everyone signed in reads posts, leaderboards (global, per routing
 * group, per period) and an agent's tier. Writes are events on community.events, keyed by the
 * agent they may earn points for; the reward stage decides the points, reads come from the read
 * models.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { periodOf } from '../../processors/reward/periods';
import { type CommunityEvent, communityKey } from '../../schemas/reward-records';
import { communityPosts, leaderboard, tierStatus } from '../../sinks/postgres/rewards-figures';
import { TOPIC } from '../../topics/platform';
import { principalOf } from '../auth/access';
import { ApiError, errorResponses } from '../errors';
import { assertActsFor, readsOf, type RewardsApiDeps, subjectOf } from './partners';

const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, dots, colons, dashes and underscores');

export const CATEGORIES = ['tips', 'success', 'questions', 'announcements', 'general'] as const;

const newPost = z.object({
  kind: z
    .enum(['post', 'story'])
    .default('post')
    .meta({ description: 'story: a success story, which admins may feature.' }),
  category: z.enum(CATEGORIES).default('general'),
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(10_000),
});

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a period is YYYY-MM');
const accepted = z.object({ event_id: z.string(), post_id: z.string(), status: z.literal('accepted') });
const security = [{ bearer: [] }];
const agents = { roles: ['agent'] } as const;
const signedIn = { roles: ['admin', 'agent'] } as const;

export const communityRoutes: FastifyPluginAsyncZod<RewardsApiDeps> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  const publish = async (event: CommunityEvent) => {
    await deps.publish(TOPIC.communityEvents, communityKey(event), event);
    return { event_id: event.eventId, post_id: event.postId, status: 'accepted' as const };
  };
  const action = (
    fields: Pick<CommunityEvent, 'type' | 'postId' | 'actorId' | 'authorId'> & Partial<CommunityEvent>,
  ) =>
    ({
      eventId: randomUUID(),
      commentId: null,
      category: null,
      title: null,
      body: null,
      at: now(),
      ...fields,
    }) satisfies CommunityEvent;
  /** The post acted on, as the read models know it. */
  const postOf = async (postId: string) => {
    const [post] = await communityPosts(readsOf(deps), { postId });
    if (!post) throw new ApiError(404, 'not_found', `no post ${postId}`);
    return post;
  };

  app.post(
    '/v1/community/posts',
    {
      config: { access: agents, idempotent: true },
      schema: {
        tags: ['community'],
        summary: 'Start a discussion or share a success story (agents)',
        security,
        body: newPost,
        response: { 202: accepted, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const agentId = subjectOf(principalOf(request));
      const { kind, category, title, body } = request.body;
      const postId = randomUUID();
      return reply
        .code(202)
        .send(
          await publish(
            action({ type: kind, postId, actorId: agentId, authorId: agentId, category, title, body }),
          ),
        );
    },
  );

  app.post(
    '/v1/community/posts/:id/comments',
    {
      config: { access: agents, idempotent: true },
      schema: {
        tags: ['community'],
        summary: 'Comment on a post (agents)',
        security,
        params: z.object({ id }),
        body: z.object({ body: z.string().trim().min(1).max(5_000) }),
        response: { 202: accepted, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const agentId = subjectOf(principalOf(request));
      const post = await postOf(request.params.id);
      const event = action({
        type: 'comment',
        postId: post.postId,
        actorId: agentId,
        authorId: post.authorId,
        body: request.body.body,
      });
      return reply.code(202).send(await publish({ ...event, commentId: event.eventId }));
    },
  );

  app.post(
    '/v1/community/posts/:id/likes',
    {
      config: { access: agents },
      schema: {
        tags: ['community'],
        summary: 'Like a post (agents); liking your own post or liking twice earns no points',
        security,
        params: z.object({ id }),
        response: { 202: accepted, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const agentId = subjectOf(principalOf(request));
      const post = await postOf(request.params.id);
      return reply
        .code(202)
        .send(
          await publish(
            action({ type: 'like', postId: post.postId, actorId: agentId, authorId: post.authorId }),
          ),
        );
    },
  );

  app.post(
    '/v1/community/posts/:id/featured',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['community'],
        summary: 'Feature a success story (admin); its author earns the featured points',
        security,
        params: z.object({ id }),
        response: { 202: accepted, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const post = await postOf(request.params.id);
      if (post.kind !== 'story')
        throw new ApiError(409, 'not_a_story', `post ${post.postId} is not a success story`);
      const admin = subjectOf(principalOf(request));
      return reply
        .code(202)
        .send(
          await publish(
            action({ type: 'featured', postId: post.postId, actorId: admin, authorId: post.authorId }),
          ),
        );
    },
  );

  app.get(
    '/v1/community/posts',
    {
      config: { access: signedIn },
      schema: {
        tags: ['community'],
        summary: 'Posts and stories, newest first, with like and comment counts',
        security,
        querystring: z.object({
          category: z.enum(CATEGORIES).optional(),
          featured: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.looseObject({}), ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { category, featured, limit } = request.query;
      return {
        posts: await communityPosts(readsOf(deps), {
          category,
          featured: featured === undefined ? undefined : featured === 'true',
          limit,
        }),
      };
    },
  );

  app.get(
    '/v1/leaderboards',
    {
      config: { access: signedIn },
      schema: {
        tags: ['community'],
        summary: 'Agents by VIP points in a period, globally or in one routing group',
        security,
        querystring: z.object({
          period: period.optional().meta({ description: 'YYYY-MM; default: the current month (UTC).' }),
          group: z.string().min(1).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: z.looseObject({}), ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { group, limit } = request.query;
      const chosen = request.query.period ?? periodOf(now());
      return {
        period: chosen,
        group: group ?? null,
        agents: await leaderboard(readsOf(deps), { period: chosen, routingGroup: group, limit }),
      };
    },
  );

  app.get(
    '/v1/agents/:id/tier',
    {
      config: { access: signedIn },
      schema: {
        tags: ['community'],
        summary:
          "An agent's VIP tier, its routing benefits and the period's points (the agent itself, or admin)",
        security,
        params: z.object({ id }),
        response: { 200: z.looseObject({}), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      assertActsFor(principalOf(request), 'agent', request.params.id);
      const status = await tierStatus(readsOf(deps), request.params.id, periodOf(now()));
      if (!status) throw new ApiError(404, 'not_found', `agent ${request.params.id} has no VIP tier yet`);
      return { ...status };
    },
  );
};
