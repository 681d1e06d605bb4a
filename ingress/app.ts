import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registry as metricsRegistry } from '../runtime/metrics';
import type { Transport } from '../runtime/transport';

export interface AppDeps {
  transport: Transport;
  log: Logger;
  /** Names of the processors running in this process, reported by /healthz. */
  processors: () => { name: string; partitions: number[] }[];
}

/**
 * The HTTP face of a leadflow process. Public endpoints: /healthz (liveness + what runs here) and
 * /metrics (Prometheus text format). Further APIs register as plugins with their own auth.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      // A cheap call that proves the log is reachable (SQLite file open, Kafka broker answering).
      await deps.transport.describeTopics([]);
      return { status: 'ok', transport: deps.transport.kind, processors: deps.processors() };
    } catch (error) {
      return reply
        .code(503)
        .send({ status: 'unavailable', transport: deps.transport.kind, error: (error as Error).message });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  return app;
}
