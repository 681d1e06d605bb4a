import type { Logger } from 'pino';
import type { AgentFeatures } from '../../schemas/routing-records';
import { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import type { SchemaRegistry } from '../../runtime/registry';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { agentFeatures, sameFeatures } from './features';
import type { Graph } from './graph';

/** Written into every record's `source`; bump it when the factors' meaning changes. */
export const GRAPH_JOB_SOURCE = 'graph-job/1';

export interface GraphJobRun {
  /** Every agent's features as computed now. */
  features: AgentFeatures[];
  /** Records written: new or changed features. */
  published: number;
  /** Tombstones written for agents that left the graph's routing groups. */
  removed: number;
}

/**
 * Computes the agents' graph features and publishes them to the compacted agent.features topic,
 * which match reads as a global table. Only new or changed features are written, so running it
 * every minute does not grow the topic; the first run reads what the topic already holds.
 * The codec must be prepared for agent.features.
 */
export class GraphJob {
  private published: Map<string, AgentFeatures> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly graph: Graph,
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async runOnce(): Promise<GraphJobRun> {
    const previous = this.published ?? (await this.readPublished());
    const features = agentFeatures(await this.graph.readFacts(), this.now(), GRAPH_JOB_SOURCE);
    const changed = features.filter((f) => {
      const before = previous.get(f.agentId);
      return !before || !sameFeatures(before, f);
    });
    const current = new Set(features.map((f) => f.agentId));
    const gone = [...previous.keys()].filter((agentId) => !current.has(agentId));
    const records = [
      ...changed.map((f) => this.codec.encode(TOPIC.agentFeatures, f.agentId, f)),
      ...gone.map((agentId) => this.codec.encode(TOPIC.agentFeatures, agentId, null)),
    ];
    if (records.length > 0) await this.transport.produce(records);
    this.published = new Map(features.map((f) => [f.agentId, f]));
    return { features, published: changed.length, removed: gone.length };
  }

  /** Runs now and then every `intervalMs`; a failed run is logged and the next one tries again. */
  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.runOnce()
        .then(({ features, published, removed }) =>
          this.log.debug(
            { agents: features.length, published, removed },
            'graph job: agent features computed',
          ),
        )
        .catch((error: unknown) =>
          this.log.warn({ error: (error as Error).message }, 'graph job: run failed; retrying next interval'),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  /** Stops the interval and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async readPublished(): Promise<Map<string, AgentFeatures>> {
    const latest = new Map<string, AgentFeatures>();
    for (const raw of await this.transport.read(TOPIC.agentFeatures)) {
      const { key, value } = await this.codec.decode<AgentFeatures | null>(raw);
      if (value === null) latest.delete(key);
      else latest.set(key, value);
    }
    return latest;
  }
}

/** A graph job publishing through its own codec, started on an interval (`leadflow start`). */
export async function startGraphJob(options: {
  graph: Graph;
  transport: Transport;
  registry: SchemaRegistry;
  log: Logger;
  intervalMs: number;
}): Promise<GraphJob> {
  const job = new GraphJob(
    options.graph,
    options.transport,
    await graphJobCodec(options.transport, options.registry),
    options.log,
  );
  job.start(options.intervalMs);
  return job;
}

/** A codec ready to write agent.features, with the topic created if missing. */
export async function graphJobCodec(transport: Transport, registry: SchemaRegistry): Promise<RecordCodec> {
  const catalog = platformCatalog();
  await transport.applyTopics([catalog.get(TOPIC.agentFeatures)]);
  const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix });
  await codec.prepare([TOPIC.agentFeatures]);
  return codec;
}
