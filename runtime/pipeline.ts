import type { Logger } from 'pino';
import type { SchemaRegistry } from './registry';
import { Catalog } from './catalog';
import { dlqTopic } from './topic-spec';
import { NoDataKeysError, RecordCodec } from './codec';
import { GlobalTable } from './global-table';
import type { Processor } from './processor';
import type { ProcessorRun, RunOptions, Transport } from './transport';
import type { DataKeys } from './privacy/data-keys';

export interface PipelineOptions {
  appId: string;
  transport: Transport;
  registry: SchemaRegistry;
  catalog: Catalog;
  processors: readonly Processor<never>[];
  log: Logger;
  /** The data keys of leads: needed when a processor reads or writes a topic with personal fields. */
  keys?: DataKeys;
  run?: Partial<Omit<RunOptions, 'appId' | 'codec' | 'log'>>;
}

/**
 * A set of processors running against one transport in this process: topics applied, schemas
 * registered, one consumer-group member per processor.
 */
export class Pipeline {
  private constructor(
    private readonly transport: Transport,
    readonly catalog: Catalog,
    readonly codec: RecordCodec,
    readonly runs: ProcessorRun[],
    private readonly globals: GlobalTable<unknown>[],
  ) {}

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const catalog = options.catalog.withProcessors(options.appId, options.processors);
    // A table is restored from its topic: one that deletes old records would lose state silently.
    for (const processor of options.processors) {
      for (const [store, topic] of Object.entries(processor.tables ?? {})) {
        if (catalog.get(topic).cleanup !== 'compact')
          throw new Error(
            `table ${store} of ${processor.name} mirrors ${topic}, which must be a compacted topic`,
          );
      }
    }
    await options.transport.applyTopics(catalog.all());
    const codec = new RecordCodec(catalog, options.registry, {
      clock: options.run?.clock,
      subjectPrefix: options.transport.topicPrefix,
      keys: options.keys,
    });
    if (!options.keys) {
      for (const processor of options.processors) {
        const sealed = [...processor.inputs, ...processor.outputs].find((topic) => codec.sealingPlan(topic));
        if (sealed) throw new NoDataKeysError(sealed);
      }
    }
    for (const processor of options.processors) {
      await codec.prepare([...processor.outputs, ...processor.inputs.map(dlqTopic)]);
    }
    // Global tables are shared by every processor of the process and fully loaded before any
    // processor starts, so a lookup never sees a half-read table.
    const globals = new Map<string, GlobalTable<unknown>>();
    const runs: ProcessorRun[] = [];
    try {
      for (const topic of new Set(options.processors.flatMap((p) => p.globals ?? []))) {
        if (catalog.get(topic).cleanup !== 'compact')
          throw new Error(`global table ${topic} must be a compacted topic`);
        globals.set(topic, await new GlobalTable(topic, options.transport, codec, options.log).start());
      }
      for (const processor of options.processors) {
        runs.push(
          await options.transport.run(processor, {
            ...options.run,
            appId: options.appId,
            codec,
            log: options.log,
            globals,
          }),
        );
      }
    } catch (error) {
      // Runs left going would hold partitions and transactional ids that a second start (after
      // an outage) then fights over.
      await new Pipeline(options.transport, catalog, codec, runs, [...globals.values()])
        .stop()
        .catch(() => undefined);
      throw error;
    }
    return new Pipeline(options.transport, catalog, codec, runs, [...globals.values()]);
  }

  /**
   * Resolves when every processor has caught up with its input and a full pass over all of them
   * wrote nothing new (a late stage's output can feed an earlier one, e.g. through a loop).
   */
  async waitIdle(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let before = await this.totalEndOffset();
    for (;;) {
      for (const run of this.runs) await run.waitIdle(Math.max(1, deadline - Date.now()));
      const after = await this.totalEndOffset();
      if (after === before) return;
      before = after;
    }
  }

  private async totalEndOffset(): Promise<number> {
    const topics = await this.transport.describeTopics(this.catalog.all().map((t) => t.name));
    return topics.reduce((sum, t) => sum + t.endOffsets.reduce((a, b) => a + b, 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.runs.map((run) => run.stop()));
    await Promise.all(this.globals.map((table) => table.stop()));
  }
}
