/**
 * Re-runs one stage over a range of its input while the platform keeps running.
 *
 * A replay is the stage's own logic run by a dedicated consumer group, `<app>.replay.<stage>`,
 * whose offsets are set to the range's start; it skips input past the range's end and stops
 * there. Its outputs go to the stage's usual output topics with the `lf-replay` header, so sinks
 * and metrics can tell them apart, and the live group is never touched. Each step commits its
 * outputs, state and offsets together, as any run does: within a replay every input record is
 * re-run exactly once, and a replay interrupted half way has committed a prefix of its range
 * (running it again re-runs the whole range). Stateful stages (the contact screens) start a
 * replay with empty state: a duplicate of a lead from before `from` is not recognised unless
 * the replay starts from the earliest offset.
 */
import type { Logger } from 'pino';
import type { Catalog } from '../catalog';
import { Pipeline } from '../pipeline';
import { defineProcessor, type Processor } from '../processor';
import type { OutgoingRecord } from '../records';
import { groupId, type Transport } from '../transport';
import type { SchemaRegistry } from '../registry';
import type { DataKeys } from '../privacy/data-keys';
import { changelogTopic } from '../topic-spec';
import { offsetsFor, planOf, type Position, progressOf, rangesOf, type ReplayPlan } from './plan';

export interface ReplayRunnerOptions {
  transport: Transport;
  registry: SchemaRegistry;
  appId: string;
  /** The platform's topics (topics/platform.ts); the stages' internal topics are added to it. */
  catalog: Catalog;
  stages: readonly Processor<never>[];
  log: Logger;
  /** The data keys of leads, for stages that read personal fields. */
  keys?: DataKeys;
}

export type ReplayProgress = ReturnType<typeof progressOf>;

export class UnknownStageError extends Error {
  override name = 'UnknownStageError';
}

export class ReplayRefusedError extends Error {
  override name = 'ReplayRefusedError';
}

export class ReplayBusyError extends Error {
  override name = 'ReplayBusyError';
}

export class ReplayRunner {
  readonly appId: string;

  constructor(private readonly options: ReplayRunnerOptions) {
    this.appId = `${options.appId}.replay`;
  }

  stageNames(): string[] {
    return this.options.stages.map((s) => s.name);
  }

  /** The offsets a replay of `stage` between the two positions would re-run. */
  async plan(stageName: string, from: Position, to: Position = { kind: 'latest' }): Promise<ReplayPlan> {
    const stage = this.stage(stageName);
    const { transport } = this.options;
    await transport.applyTopics(stage.inputs.map((t) => this.options.catalog.get(t)));
    const ranges = [];
    for (const topic of stage.inputs) {
      const [info] = await transport.describeTopics([topic]);
      const ends = info!.endOffsets;
      const atTime = async (p: Position) =>
        p.kind === 'time' ? transport.offsetsForTimestamp(topic, p.at) : undefined;
      const starts = offsetsFor(from, ends, await atTime(from), (p) => ends[p]!);
      const stops = offsetsFor(to, ends, await atTime(to), (p) => ends[p]!);
      ranges.push(...rangesOf(topic, starts, stops));
    }
    return planOf(stage.name, ranges);
  }

  /** Runs the replay to the end of its range, or until `signal` aborts it. */
  async run(
    plan: ReplayPlan,
    hooks: { signal?: AbortSignal; onProgress?: (progress: ReplayProgress) => void } = {},
  ): Promise<ReplayProgress> {
    const stage = this.stage(plan.stage);
    if (plan.records === 0) return [];
    const { transport, log } = this.options;
    const group = groupId(this.appId, stage.name);
    await this.claimGroup(group, stage, plan);
    await this.clearState(stage);
    const pipeline = await Pipeline.start({
      appId: this.appId,
      transport,
      registry: this.options.registry,
      catalog: this.options.catalog,
      processors: [boundedTo(stage, plan)],
      log: log.child({ replay: stage.name }),
      keys: this.options.keys,
      run: { replay: true },
    });
    try {
      for (;;) {
        const progress = await this.progress(plan);
        hooks.onProgress?.(progress);
        if (hooks.signal?.aborted || progress.every((r) => r.done === r.records)) return progress;
        try {
          // Idle means every record up to the input's end, the range included, is committed.
          // (On Kafka the committed offset can stop short of `to` at a transaction marker.)
          await pipeline.waitIdle(1000);
          const done = await this.progress(plan);
          return done.map((r) => ({ ...r, done: r.records }));
        } catch {
          // Not idle yet: report progress and wait again.
        }
      }
    } finally {
      await pipeline.stop();
    }
  }

  async progress(plan: ReplayPlan): Promise<ReplayProgress> {
    const group = groupId(this.appId, plan.stage);
    const committed = new Map<string, number[]>();
    for (const topic of new Set(plan.ranges.map((r) => r.topic))) {
      committed.set(topic, await this.options.transport.committedOffsets(group, topic));
    }
    return progressOf(plan, (topic, partition) => committed.get(topic)?.[partition] ?? -1);
  }

  private stage(name: string): Processor<never> {
    const stage = this.options.stages.find((s) => s.name === name);
    if (!stage)
      throw new UnknownStageError(`unknown stage "${name}" (stages: ${this.stageNames().join(', ')})`);
    if (stage.replayRefused)
      throw new ReplayRefusedError(`${name} cannot be replayed: ${stage.replayRefused}`);
    return stage;
  }

  /**
   * Points the replay group at the range's start. The group must have no live member: a replay of
   * the same stage still running elsewhere keeps it, and a member that just stopped may count as
   * live for a moment.
   */
  private async claimGroup(group: string, stage: Processor<never>, plan: ReplayPlan): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (const topic of stage.inputs) {
      const [info] = await this.options.transport.describeTopics([topic]);
      // Partitions outside the plan start at their end: nothing there is re-run.
      const offsets = info!.endOffsets.map((end, partition) => ({
        partition,
        offset: plan.ranges.find((r) => r.topic === topic && r.partition === partition)?.from ?? end,
      }));
      for (;;) {
        try {
          await this.options.transport.setCommittedOffsets(group, topic, offsets);
          break;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new ReplayBusyError(
              `a replay of ${stage.name} is already running (${(error as Error).message})`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }
  }

  /** Empties the replay's state left by an earlier replay of the stage (tombstones on its changelog). */
  private async clearState(stage: Processor<never>): Promise<void> {
    const { transport } = this.options;
    const changelog = changelogTopic(this.appId, stage.name);
    const catalog = this.options.catalog.withProcessors(this.appId, [stage]);
    await transport.applyTopics([catalog.get(changelog)]);
    const latest = new Map<string, OutgoingRecord>();
    for (const record of await transport.read(changelog)) {
      if (record.key === null) continue;
      const id = `${record.partition}/${record.key.toString('base64')}`;
      if (record.value === null) latest.delete(id);
      else {
        const { topic, partition, key } = record;
        latest.set(id, { topic, partition, key, value: null, headers: {}, timestamp: Date.now() });
      }
    }
    if (latest.size > 0) await transport.produce([...latest.values()]);
  }
}

/** The stage, skipping input at or past the end of the plan's range (it is the live group's). */
function boundedTo(stage: Processor<never>, plan: ReplayPlan): Processor<never> {
  const ends = new Map(plan.ranges.map((r) => [`${r.topic}/${r.partition}`, r.to]));
  return defineProcessor({
    ...stage,
    process(record, ctx) {
      const end = ends.get(`${record.topic}/${record.partition}`) ?? 0;
      if (record.offset >= end) return;
      return stage.process(record, ctx);
    },
  });
}
