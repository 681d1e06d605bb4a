import type { Processor } from '../../runtime/processor';
import { defineProcessor } from '../../runtime/processor';
import { Catalog } from '../../runtime/catalog';
import type { TopicSpec } from '../../runtime/topic-spec';

/** A small stateful processor used to check the runtime's guarantees on every transport. */
export interface Tick {
  key: string;
  seq: number;
  /** -1 makes the processor throw (a poison record). */
  n: number;
}

export interface Count {
  key: string;
  seq: number;
  count: number;
  partition: number;
}

export const tickSchema = {
  type: 'record',
  name: 'Tick',
  namespace: 'test',
  fields: [
    { name: 'key', type: 'string' },
    { name: 'seq', type: 'int' },
    { name: 'n', type: 'int' },
  ],
} as const;

const countSchema = {
  type: 'record',
  name: 'Count',
  namespace: 'test',
  fields: [
    { name: 'key', type: 'string' },
    { name: 'seq', type: 'int' },
    { name: 'count', type: 'int' },
    { name: 'partition', type: 'int' },
  ],
} as const;

export function counterTopics(prefix: string, partitions = 4) {
  const input = `${prefix}.ticks`;
  const output = `${prefix}.counts`;
  const timeouts = `${prefix}.timeouts`;
  const spec = (name: string, valueSchema: object): TopicSpec => ({
    name,
    partitions,
    cleanup: 'delete',
    retentionMs: null,
    format: 'avro',
    keySchema: 'string',
    valueSchema: valueSchema as TopicSpec['valueSchema'],
    doc: 'test topic',
  });
  return {
    input,
    output,
    timeouts,
    catalog: new Catalog([spec(input, tickSchema), spec(output, countSchema), spec(timeouts, countSchema)]),
  };
}

/**
 * Counts records per key in a store, emits the running count for every record, and sets a timer
 * per key that emits to the timeouts topic when a key has been quiet for `quietMs`.
 */
export function counterProcessor(
  topics: { input: string; output: string; timeouts: string },
  quietMs = 60_000,
  name = 'counter',
): Processor<Tick> {
  return defineProcessor<Tick>({
    name,
    inputs: [topics.input],
    outputs: [topics.output, topics.timeouts],
    stores: ['counts'],
    process(record, ctx) {
      if (record.value.n === -1) throw new Error(`poison tick ${record.value.key}/${record.value.seq}`);
      const store = ctx.store<number>('counts');
      const count = (store.get(record.key) ?? 0) + 1;
      store.put(record.key, count);
      ctx.emit(topics.output, record.key, {
        key: record.key,
        seq: record.value.seq,
        count,
        partition: ctx.partition,
      });
      ctx.schedule(ctx.now() + quietMs, record.key);
    },
    onTimer(timer, ctx) {
      const count = ctx.store<number>('counts').get(timer.key) ?? 0;
      ctx.emit(topics.timeouts, timer.key, { key: timer.key, seq: -1, count, partition: ctx.partition });
    },
  });
}

/**
 * A counter behind a table: `flags`, a compacted topic co-partitioned with the ticks, is mirrored
 * in the `flags` store (Processor.tables), and ticks of a flagged key are not counted. A tick with
 * n = -2 tries to write the table, which only the runtime may: it is dead-lettered.
 */
export function gatedCounter(topics: ReturnType<typeof counterTopics>) {
  const flags = topics.input.replace(/\.ticks$/, '.flags');
  const catalog = new Catalog([
    ...topics.catalog.all(),
    { ...topics.catalog.get(topics.input), name: flags, cleanup: 'compact', retentionMs: null },
  ]);
  const gate = defineProcessor<Tick | null>({
    name: 'gate',
    inputs: [topics.input, flags],
    outputs: [topics.output],
    stores: ['flags', 'counts'],
    tables: { flags },
    process(record, ctx) {
      if (record.topic === flags) return;
      const tick = record.value!;
      if (tick.n === -2) ctx.store('flags').put(record.key, tick);
      if (ctx.store<Tick>('flags').get(record.key)) return;
      const counts = ctx.store<number>('counts');
      const count = (counts.get(record.key) ?? 0) + 1;
      counts.put(record.key, count);
      ctx.emit(topics.output, record.key, {
        key: record.key,
        seq: tick.seq,
        count,
        partition: ctx.partition,
      });
    },
  }) as Processor<never>;
  return { flags, catalog, gate };
}
