import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import { parsePosition, PositionError, type Position } from '../../runtime/replay/plan';
import { ReplayBusyError, ReplayRefusedError } from '../../runtime/replay/runner';
import type { ReplayService } from '../../runtime/replay/service';

const position = z.string().min(1).max(2000).meta({
  description:
    'A time (ISO 8601, e.g. 2026-01-31T08:00:00Z), an offset for every partition (1200), partition:offset pairs (0:1200,3:800), earliest or latest.',
});

const replayRequest = z.object({
  stage: z.string().min(1).max(100).meta({ description: 'The stage to re-run, e.g. validate.' }),
  from: position,
  to: position.optional().meta({ description: 'Default: the end of the input when the replay starts.' }),
  dry_run: z.boolean().default(false).meta({ description: 'Only say what would be re-run.' }),
});

const partitionRange = z.object({
  topic: z.string(),
  partition: z.number().int(),
  from: z.number().int(),
  to: z.number().int(),
  records: z.number().int(),
});

const dryRun = z.object({
  stage: z.string(),
  dry_run: z.literal(true),
  records: z.number().int(),
  partitions: z.array(partitionRange),
});

const replayStatus = z.object({
  replay_id: z.string(),
  stage: z.string(),
  state: z.enum(['running', 'done', 'failed', 'interrupted']),
  records: z.number().int(),
  done: z.number().int(),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  partitions: z.array(partitionRange.extend({ done: z.number().int() })),
  status_url: z.string(),
});

const adminOnly = { roles: ['admin'], scopes: [SCOPES.replay] } as const;
const security = [{ bearer: [] }];

export const replayRoutes: FastifyPluginAsyncZod<{ replays: ReplayService }> = async (app, { replays }) => {
  const statusUrl = (id: string) => `/v1/admin/replays/${id}`;

  app.post(
    '/v1/admin/replay',
    {
      config: { access: adminOnly },
      schema: {
        tags: ['admin'],
        summary: "Re-run one stage's input through it (admin role, replay scope)",
        description:
          'Runs in this process under a dedicated consumer group; outputs carry the lf-replay header. ' +
          'dry_run answers what would be re-run, per partition.',
        security,
        body: replayRequest,
        response: { 200: dryRun, 202: replayStatus, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { stage, dry_run: dry } = request.body;
      if (!replays.runner.stageNames().includes(stage)) {
        throw invalid(
          'stage',
          'invalid_value',
          `stage must be one of ${replays.runner.stageNames().join(', ')}`,
        );
      }
      const from = positionOf(request.body.from, 'from');
      const to = request.body.to === undefined ? undefined : positionOf(request.body.to, 'to');
      let plan;
      try {
        plan = await replays.runner.plan(stage, from, to);
      } catch (error) {
        if (error instanceof PositionError) throw invalid('from', 'out_of_range', error.message);
        if (error instanceof ReplayRefusedError) throw invalid('stage', 'not_replayable', error.message);
        throw error;
      }
      if (dry) {
        return reply.code(200).send({ stage, dry_run: true, records: plan.records, partitions: plan.ranges });
      }
      try {
        const started = replays.start(plan);
        return reply.code(202).send({ ...started, status_url: statusUrl(started.replay_id) });
      } catch (error) {
        if (error instanceof ReplayBusyError) throw new ApiError(409, 'replay_running', error.message);
        throw error;
      }
    },
  );

  app.get(
    '/v1/admin/replays/:id',
    {
      config: { access: adminOnly },
      schema: {
        tags: ['admin'],
        summary: "A replay's progress",
        security,
        params: z.object({ id: z.uuid() }),
        response: { 200: replayStatus, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const status = replays.status(request.params.id);
      if (!status) throw new ApiError(404, 'not_found', `no replay ${request.params.id} in this process`);
      return { ...status, status_url: statusUrl(status.replay_id) };
    },
  );
};

function positionOf(text: string, field: 'from' | 'to'): Position {
  try {
    return parsePosition(text, field);
  } catch (error) {
    if (error instanceof PositionError) throw invalid(field, 'invalid_format', error.message);
    throw error;
  }
}

const invalid = (field: string, code: string, message: string) =>
  new ApiError(400, 'invalid_request', 'the request has invalid fields', {
    problems: [{ field, code, message }],
  });
