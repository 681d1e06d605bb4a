import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registry as metricsRegistry } from '../runtime/metrics';
import type { Transport } from '../runtime/transport';
import { type ApiDeps, registerApi } from './api';
import { registerDashboard } from './dashboard/routes';
import type { DashboardSource } from './dashboard/source';
import { handleError, handleNotFound, zodValidatorCompiler } from './errors';

/** Something /readyz checks: the transport, Redis, the read-model database. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface AppDeps {
  transport: Transport;
  log: Logger;
  /** Names of the processors running in this process, reported by /healthz. */
  processors: () => { name: string; partitions: number[] }[];
  /** The /v1 API; without it only the operational endpoints are served. */
  api?: ApiDeps;
  /** What must answer for /readyz to say ready (the transport is always checked). */
  readiness?: ReadinessCheck[];
  /** The built-in dashboard at /dashboard (its data API authenticates like the /v1 API). */
  dashboard?: DashboardSource;
  /** Limits on slow clients (default `DEFAULT_HTTP_TIMEOUTS`). */
  timeouts?: HttpTimeouts;
}

export interface HttpTimeouts {
  /** Longest a client may take to send a whole request, body included (answered 408). */
  requestMs: number;
  /** Longest a connection may stay silent (mid-request or idle keep-alive) before it is closed. */
  idleMs: number;
}

/**
 * A client dribbling a body byte by byte (slowloris) would otherwise hold a connection forever:
 * Fastify disables Node's request timeout by default. Generous enough for a multi-GiB upload.
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { requestMs: 600_000, idleMs: 60_000 };

const READINESS_TIMEOUT_MS = 3000;

/**
 * The HTTP face of a leadflow process. Public endpoints: /healthz (liveness + what runs here),
 * /readyz (whether the transport and the stores it needs answer), /metrics (Prometheus text
 * format), /docs (OpenAPI, JSON at /docs/json). The /v1 API registers with its own auth.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const timeouts = deps.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    // Node looks for requests past their timeout on this interval (30 s by default).
    http: { connectionsCheckingInterval: Math.min(30_000, timeouts.requestMs) },
    // Fastify gives each plugin 10 s to register by default. In the full crash run, a worker
    // restarting on a saturated 2-core machine took longer to register @fastify/swagger-ui and
    // exited at start. A slow start is better than none.
    pluginTimeout: 60_000,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  // close() waits for the requests in flight; the answers they get then close their connection,
  // so shutting down does not also wait out the clients' keep-alive.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'leadflow API',
        version: '1',
        description:
          'Vendors send leads with an API key; agents, partners and admins use JWTs. Both go in ' +
          '`Authorization: Bearer <key or token>`. Errors are `{ error, message, problems? }`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A vendor API key (lfk_...) or a JWT.' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const transportCheck: ReadinessCheck = {
    name: 'transport',
    check: () => deps.transport.describeTopics([]),
  };

  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness and what runs here' } },
    async (_request, reply) => {
      try {
        // A cheap call that proves the log is reachable (SQLite file open, Kafka broker answering).
        await transportCheck.check();
        return { status: 'ok', transport: deps.transport.kind, processors: deps.processors() };
      } catch (error) {
        return reply
          .code(503)
          .send({ status: 'unavailable', transport: deps.transport.kind, error: (error as Error).message });
      }
    },
  );

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Whether the transport and the stores answer' } },
    async (_request, reply) => {
      const checks = [transportCheck, ...(deps.readiness ?? [])];
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), READINESS_TIMEOUT_MS);
            return [name, 'ok'] as const;
          } catch (error) {
            return [name, `unavailable: ${(error as Error).message}`] as const;
          }
        }),
      );
      const ready = results.every(([, status]) => status === 'ok');
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', metricsRegistry.contentType);
      return metricsRegistry.metrics();
    },
  );

  if (deps.api) await registerApi(app, deps.api);
  if (deps.api && deps.dashboard) {
    await registerDashboard(app, {
      source: deps.dashboard,
      vendors: deps.api.vendors,
      verifyToken: deps.api.verifyToken,
    });
  }
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
