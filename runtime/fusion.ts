/**
 * Fusing stages, as Kafka Streams runs the processors of one sub-topology in one task: stages
 * joined by a topic that keeps the record's key (enrich -> score -> match read and write by lead
 * id) run as one processor. A record one stage emits to such a topic is still written there (the
 * topic stays a contract that sinks, users and replays read) and is also handed, in memory and
 * within the same step, to the next stage. One consumer group, one task and one commit then carry
 * the record through every fused stage, instead of one of each per stage.
 *
 * What stays the same: each stage's `process`, its stores (named `<stage>--<store>` inside the
 * fused processor) and its timers; the records on every topic; exactly-once, since the whole
 * chain for one input record is one step. What changes: the fused processor has its own name,
 * so its own consumer group and changelog.
 */
import { avroType } from '../schemas/avro';
import type { Catalog } from './catalog';
import { partitionFor } from './partitioner';
import { defineProcessor, type Processor, type ProcessorContext } from './processor';
import type { ConsumedRecord, Headers } from './records';

/** A record handed from one fused stage to the next. */
interface Handed {
  topic: string;
  key: string;
  value: unknown;
  headers: Headers;
}

/** What a fused processor is made of, for `leadflow topology` and the checks. */
export interface FusedPlan {
  name: string;
  stages: readonly string[];
  /** Topics read from the log: every stage input that no earlier stage of the chain writes. */
  sources: readonly string[];
  /** Topics handed from stage to stage in memory (and still written). */
  edges: readonly string[];
}

const FUSED = Symbol('fused');

/** The plan behind a fused processor, or undefined for a plain one. */
export function fusedPlan(processor: Processor<never>): FusedPlan | undefined {
  return (processor as { [FUSED]?: FusedPlan })[FUSED];
}

/**
 * One processor running `stages` in order. A topic written by a stage and read by a later one is
 * an edge: its records go on in memory. Stages that flush (sinks) cannot be fused: their side
 * effects are per stage. Only the first stage may park records for retry rounds: a parked record
 * is an input of the fused processor, and the step that failed, whichever stage threw, is undone
 * whole, so the record's next round runs the chain again from the start. Nor can stages with
 * tables be fused: a table is restored from its topic up to the stage's own committed offset.
 */
export function fuse(name: string, stages: readonly Processor<never>[], catalog: Catalog): Processor<never> {
  if (stages.length < 2) throw new Error(`fused processor ${name}: fuse two stages or more`);
  for (const stage of stages) {
    if (stage.flush) throw new Error(`fused processor ${name}: ${stage.name} flushes, so it runs on its own`);
    if (stage.retryLaterMs?.length && stage !== stages[0])
      throw new Error(`fused processor ${name}: ${stage.name} parks records, so it runs on its own or first`);
    if (Object.keys(stage.tables ?? {}).length > 0)
      throw new Error(`fused processor ${name}: ${stage.name} mirrors a table, so it runs on its own`);
  }
  const written = new Set<string>();
  const edges = new Set<string>();
  const sources: string[] = [];
  stages.forEach((stage, i) => {
    for (const input of stage.inputs) {
      if (written.has(input)) edges.add(input);
      else if (!sources.includes(input)) sources.push(input);
    }
    if (i < stages.length - 1) for (const output of stage.outputs) written.add(output);
  });
  for (const [i, stage] of stages.entries()) {
    if (i > 0 && !stage.inputs.some((t) => edges.has(t))) {
      throw new Error(`fused processor ${name}: ${stage.name} reads nothing an earlier stage writes`);
    }
  }
  const partitions = catalog.get(sources[0]!).partitions;
  for (const edge of edges) {
    if (catalog.get(edge).partitions !== partitions) {
      throw new Error(
        `fused processor ${name}: ${edge} has ${catalog.get(edge).partitions} partitions, the sources ${partitions}`,
      );
    }
  }
  // A handed record is read back as its topic's schema reads it, so a stage sees what it would
  // have read from the log (defaults filled in, fields the schema lacks dropped).
  const edgeTypes = new Map(
    [...edges].map((edge) => {
      const spec = catalog.get(edge);
      return [edge, spec.format === 'avro' ? avroType(spec.valueSchema) : undefined];
    }),
  );
  const roundTrip = (topic: string, value: unknown): unknown => {
    if (value === null) return null;
    const type = edgeTypes.get(topic);
    return type ? type.fromBuffer(type.toBuffer(value)) : JSON.parse(JSON.stringify(value));
  };
  const storeName = (stage: Processor<never>, store: string) => `${stage.name}--${store}`;
  const timerKey = (stage: Processor<never>, key: string) => `${stage.name}:${key}`;

  /** The context one stage sees: its own stores and timers, its emits also handed on. */
  const stageContext = (
    stage: Processor<never>,
    ctx: ProcessorContext,
    handed: Handed[],
  ): ProcessorContext => ({
    partition: ctx.partition,
    log: ctx.log,
    lastAttempt: ctx.lastAttempt,
    now: () => ctx.now(),
    global: (topic) => ctx.global(topic),
    store: (store) => ctx.store(storeName(stage, store)),
    schedule: (at, key) => ctx.schedule(at, timerKey(stage, key)),
    cancel: (key) => ctx.cancel(timerKey(stage, key)),
    emit: (topic, key, value, headers) => {
      ctx.emit(topic, key, value, headers);
      if (!edges.has(topic)) return;
      // A key that lands in another partition would reach state another task owns.
      const target = partitionFor(key, partitions);
      if (target !== ctx.partition) {
        throw new Error(
          `fused processor ${name}: ${stage.name} emitted key "${key}" to ${topic}, which is partition ` +
            `${target}, from a task of partition ${ctx.partition}: a stage that changes the key cannot be fused`,
        );
      }
      handed.push({ topic, key, value: roundTrip(topic, value), headers: headers ?? {} });
    },
  });

  /** Runs the stages from `first` on that read `record`, then whatever they hand on. */
  const run = async (record: ConsumedRecord<never>, first: number, ctx: ProcessorContext) => {
    for (let i = first; i < stages.length; i++) {
      const stage = stages[i]!;
      if (!stage.inputs.includes(record.topic)) continue;
      const handed: Handed[] = [];
      await stage.process(record, stageContext(stage, ctx, handed));
      for (const next of handed) {
        await run(
          {
            ...record,
            topic: next.topic,
            key: next.key,
            value: next.value as never,
            headers: { ...record.headers, ...next.headers },
          },
          i + 1,
          ctx,
        );
      }
    }
  };

  const plan: FusedPlan = { name, stages: stages.map((s) => s.name), sources, edges: [...edges] };
  const refused = stages.filter((s) => s.replayRefused).map((s) => `${s.name}: ${s.replayRefused}`);
  const fused = defineProcessor<never>({
    name,
    inputs: sources,
    outputs: [...new Set(stages.flatMap((s) => s.outputs))],
    stores: stages.flatMap((stage) => (stage.stores ?? []).map((store) => storeName(stage, store))),
    globals: [...new Set(stages.flatMap((s) => s.globals ?? []))],
    replayRefused: refused.length > 0 ? refused.join('; ') : undefined,
    ...(stages[0]!.retryLaterMs ? { retryLaterMs: stages[0]!.retryLaterMs } : {}),
    process: (record, ctx) => run(record, 0, ctx),
    async onTimer(timer, ctx) {
      const colon = timer.key.indexOf(':');
      const stage = stages.find((s) => s.name === timer.key.slice(0, colon));
      if (!stage?.onTimer) return;
      const handed: Handed[] = [];
      const at = { key: timer.key.slice(colon + 1), at: timer.at };
      await stage.onTimer(at, stageContext(stage, ctx, handed));
      const index = stages.indexOf(stage);
      for (const next of handed) {
        await run(
          {
            topic: next.topic,
            partition: ctx.partition,
            offset: -1,
            timestamp: ctx.now(),
            key: next.key,
            value: next.value as never,
            headers: next.headers,
          },
          index + 1,
          ctx,
        );
      }
    },
  });
  return Object.assign(fused, { [FUSED]: plan });
}

/** One unit the runtime runs: a consumer group with a task per partition. */
export interface SubTopology {
  processor: string;
  /** The stages it runs, in order: one unless fused. */
  stages: readonly string[];
  reads: readonly string[];
  /** Topics handed between its stages in memory. */
  handsOn: readonly string[];
  writes: readonly string[];
  stores: readonly string[];
  partitions: number;
}

/** The compiled plan of a topology, as `leadflow topology` prints it. */
export function subTopologies(processors: readonly Processor<never>[], catalog: Catalog): SubTopology[] {
  return processors.map((processor) => {
    const plan = fusedPlan(processor);
    return {
      processor: processor.name,
      stages: plan?.stages ?? [processor.name],
      reads: processor.inputs,
      handsOn: plan?.edges ?? [],
      writes: processor.outputs,
      stores: processor.stores ?? [],
      partitions: catalog.get(processor.inputs[0]!).partitions,
    };
  });
}
