/**
 * The whole platform in one process, or the part of it this process runs: the processors asked
 * for (with the databases and AI services they need), the graph job, the HTTP server with the API
 * and dashboard, and an orderly close. `leadflow start` opens it; tests and embedders can too.
 */
import type { Logger } from 'pino';
import { commitPolicy, type Config, describeConfig, retentionSettings } from '../config';
import { buildApp } from '../ingress/app';
import { openDashboardSource } from '../ingress/dashboard/source';
import { openIngress } from '../ingress/server';
import { watchEventLoop } from '../runtime/event-loop-watch';
import { assertFusionUpgraded } from '../runtime/fusion-upgrade';
import { Pipeline } from '../runtime/pipeline';
import type { SchemaRegistry } from '../runtime/registry';
import type { Transport } from '../runtime/transport';
import { openSinkDatabase, POSTGRES_SINKS } from '../sinks';
import { LEADS_SINK } from '../sinks/postgres/processors';
import { scheduleRetentionPurge } from '../sinks/postgres/retention';
import { reportConsumerLag } from '../sinks/metrics/consumer-lag';
import { NEO4J_SINKS, openGraph, startGraphJob } from '../sinks/neo4j';
import { VECTOR_SINK } from '../sinks/vectors/processor';
import { platformCatalog } from '../topics/platform';
import { openAiServices } from './ai-services';
import { openKeyVault } from './privacy/key-vault';
import { compileTopology, topologyStages } from './topology';

export interface PlatformOptions {
  config: Config;
  log: Logger;
  transport: Transport;
  registry: SchemaRegistry;
  jwtSecret: string;
  /** The processors to run here; undefined runs all of them, [] none (an ingress node). */
  processors?: readonly string[];
}

export interface Platform {
  /** Stops taking requests, then stops everything else, the transport last. */
  close(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, log, transport, registry, processors: wanted } = options;
  // What is open so far, to close in reverse: a start that fails part way leaves nothing running,
  // so the caller can try again or exit.
  const opened: (() => Promise<void> | void)[] = [];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    // Only a process that runs a sink opens PGlite: it belongs to one process. PostgreSQL
    // (DATABASE_URL) also serves the read API of processes that run no sink.
    const database =
      !wanted || config.DATABASE_URL || wanted.some((name) => [...POSTGRES_SINKS, VECTOR_SINK].includes(name))
        ? await openSinkDatabase(config)
        : undefined;
    if (database) opened.push(() => database.close());
    // With NEO4J_URL, a process that runs the graph sinks also runs the graph job.
    const graph =
      !wanted || wanted.some((name) => (NEO4J_SINKS as readonly string[]).includes(name))
        ? await openGraph(config)
        : undefined;
    if (graph) opened.push(() => graph.close());
    const ai = openAiServices(config, database, log);
    opened.push(() => ai.close());
    const stages = topologyStages(config, { database, graph }, ai);
    const all = compileTopology(stages);
    const unknown = wanted?.filter((name) => !all.some((p) => p.name === name)) ?? [];
    if (unknown.length > 0) {
      throw new Error(
        `unknown processor(s): ${unknown.join(', ')} (known: ${all.map((p) => p.name).join(', ')})`,
      );
    }
    const processors = all.filter((p) => !wanted || wanted.includes(p.name));
    log.info({ config: describeConfig(config) }, 'starting leadflow');
    opened.push(watchEventLoop(log));
    const vault = await openKeyVault(config, transport, log);
    opened.push(() => vault.stop());
    await assertFusionUpgraded({ transport, appId: config.LEADFLOW_APP_ID, processors, stages });
    const pipeline = await Pipeline.start({
      appId: config.LEADFLOW_APP_ID,
      transport,
      registry,
      catalog: platformCatalog(retentionSettings(config)),
      processors,
      log,
      keys: vault,
      run: { commit: commitPolicy(config) },
    });
    opened.push(() => pipeline.stop());
    if (graph) {
      const graphJob = await startGraphJob({
        graph,
        transport,
        registry,
        log,
        intervalMs: config.LEADFLOW_GRAPH_JOB_INTERVAL_MS,
      });
      opened.push(() => graphJob.stop());
    }
    // Where the lead tables are written, their rows are also purged past retention.
    if (database && processors.some((p) => p.name === LEADS_SINK)) {
      const retentionPurge = scheduleRetentionPurge({ database, retention: retentionSettings(config), log });
      opened.push(() => retentionPurge.stop());
    }
    opened.push(reportConsumerLag({ transport, appId: config.LEADFLOW_APP_ID, processors }));
    const ingress = await openIngress({
      config,
      transport,
      registry,
      log,
      jwtSecret: options.jwtSecret,
      vault,
      stages,
      readModels: database,
    });
    opened.push(() => ingress.close());
    const dashboard = await openDashboardSource({ transport, registry, log, readModels: database });
    opened.push(() => dashboard.close());
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
    // Closed first: the requests in flight finish (their records are durable when they answer).
    opened.push(() => app.close());
    await app.listen({ port: config.PORT, host: '0.0.0.0' });
    return {
      async close() {
        await closeOpened();
        await transport.close();
      },
    };
  } catch (error) {
    await closeOpened().catch((closeError: unknown) =>
      log.warn({ err: closeError }, 'closing what a failed start had opened failed'),
    );
    throw error;
  }
}
