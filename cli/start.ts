import type { Command } from 'commander';
import { buildApp } from '../ingress/app';
import { openDashboardSource } from '../ingress/dashboard/source';
import { jwtSecret } from '../ingress/auth/secret';
import { openIngress } from '../ingress/server';
import { Pipeline } from '../runtime/pipeline';
import { describeConfig } from '../config';
import { topology } from '../app/topology';
import { openSinkDatabase, POSTGRES_SINKS } from '../sinks';
import { NEO4J_SINKS, openGraph, startGraphJob } from '../sinks/neo4j';
import { reportConsumerLag } from '../sinks/metrics/consumer-lag';
import { VECTOR_SINK } from '../sinks/vectors/processor';
import { openAiServices } from '../app/ai-services';
import { platformCatalog } from '../topics/platform';
import { action, loadCliConfig, openContext } from './context';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform: every processor plus the HTTP server (API, /docs, /healthz, /metrics)')
    .option('--processors <names>', 'comma-separated processors to run here (default: all)')
    .option('--no-processors', 'run no processor here, only the HTTP API (an ingress node)')
    .option(
      '--dev',
      'development mode: on the embedded log, generate the JWT secret if LEADFLOW_JWT_SECRET is unset',
    )
    .action(
      action(async (options: { processors?: string | false; dev?: boolean }) => {
        // Refused before anything connects, so the process just exits.
        const jwt = jwtSecret(loadCliConfig(), options.dev === true);
        const { config, log, transport, registry } = openContext();
        const wanted =
          options.processors === false ? [] : options.processors?.split(',').map((s) => s.trim());
        // Only a process that runs a sink opens PGlite: it belongs to one process. PostgreSQL
        // (DATABASE_URL) also serves the read API of processes that run no sink.
        const database =
          !wanted ||
          config.DATABASE_URL ||
          wanted.some((name) => [...POSTGRES_SINKS, VECTOR_SINK].includes(name))
            ? await openSinkDatabase(config)
            : undefined;
        // With NEO4J_URL, a process that runs the graph sinks also runs the graph job.
        const graph =
          !wanted || wanted.some((name) => (NEO4J_SINKS as readonly string[]).includes(name))
            ? await openGraph(config)
            : undefined;
        const ai = openAiServices(config, database, log);
        const all = topology(config, { database, graph }, ai);
        const unknown = wanted?.filter((name) => !all.some((p) => p.name === name)) ?? [];
        if (unknown.length > 0) {
          throw new Error(
            `unknown processor(s): ${unknown.join(', ')} (known: ${all.map((p) => p.name).join(', ')})`,
          );
        }
        const processors = all.filter((p) => !wanted || wanted.includes(p.name));
        log.info({ config: describeConfig(config) }, 'starting leadflow');
        const pipeline = await Pipeline.start({
          appId: config.LEADFLOW_APP_ID,
          transport,
          registry,
          catalog: platformCatalog(),
          processors,
          log,
        });
        const graphJob = graph
          ? await startGraphJob({
              graph,
              transport,
              registry,
              log,
              intervalMs: config.LEADFLOW_GRAPH_JOB_INTERVAL_MS,
            })
          : undefined;
        const stopLagReport = reportConsumerLag({ transport, appId: config.LEADFLOW_APP_ID, processors });
        if (jwt.source === 'development')
          log.warn('development mode: JWTs use a secret generated in the data dir');
        const ingress = await openIngress({
          config,
          transport,
          registry,
          log,
          jwtSecret: jwt.secret,
          stages: all,
          readModels: database,
        });
        const dashboard = await openDashboardSource({ transport, registry, log, readModels: database });
        const app = await buildApp({
          transport,
          log,
          processors: () =>
            pipeline.runs.map((run) => ({ name: run.processor, partitions: run.assignedPartitions() })),
          api: ingress.api,
          readiness: ingress.readiness,
          dashboard: dashboard.source,
          timeouts: {
            requestMs: config.LEADFLOW_HTTP_REQUEST_TIMEOUT_MS,
            idleMs: config.LEADFLOW_HTTP_IDLE_TIMEOUT_MS,
          },
        });
        await app.listen({ port: config.PORT, host: '0.0.0.0' });
        let stopping = false;
        const shutdown = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'stopping leadflow');
          // Finishes the requests in flight (their records are durable when they answer) first.
          await app.close();
          stopLagReport();
          await ingress.close();
          await dashboard.close();
          await graphJob?.stop();
          await pipeline.stop();
          await graph?.close();
          await ai.close();
          await database?.close();
          await transport.close();
          process.exit(0);
        };
        process.on('SIGINT', () => void shutdown('SIGINT'));
        process.on('SIGTERM', () => void shutdown('SIGTERM'));
      }),
    );
}
