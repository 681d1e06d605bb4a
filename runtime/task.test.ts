import pino from 'pino';
import { BuiltInSchemaRegistry } from '../schemas/registry';
import { counterTopics } from '../test/support/counter';
import { dlqTopic } from '../topics/spec';
import { RecordCodec } from './codec';
import { defineProcessor, RetryableError } from './processor';
import type { RawRecord } from './records';
import { Task } from './task';
import { EmbeddedTransport } from './transports/embedded';

const topics = counterTopics('unit', 1);

async function setup(
  process: (attempt: number, ctx: Parameters<Parameters<typeof defineProcessor>[0]['process']>[1]) => void,
) {
  let attempts = 0;
  const processor = defineProcessor({
    name: 'unit',
    inputs: [topics.input],
    outputs: [topics.output],
    stores: ['s'],
    process: (_record, ctx) => process(++attempts, ctx),
  });
  const catalog = topics.catalog.withProcessors('app', [processor as never]);
  const codec = new RecordCodec(
    catalog,
    new BuiltInSchemaRegistry(new EmbeddedTransport({ file: ':memory:' }).schemaLog()),
  );
  await codec.prepare([topics.input, topics.output, dlqTopic(topics.input)]);
  const task = new Task({
    appId: 'app',
    processor: processor as never,
    partition: 0,
    codec,
    log: pino({ level: 'silent' }),
    retry: { maxAttempts: 3, baseDelayMs: 1 },
  });
  const encoded = codec.encode(topics.input, 'k', { key: 'k', seq: 0, n: 1 }, {}, 0);
  const input: RawRecord = { ...encoded, offset: 7 };
  return { task, input, attempts: () => attempts, codec };
}

describe('Task', () => {
  test('retries a RetryableError with backoff and succeeds without duplicating state or outputs', async () => {
    const { task, input, attempts } = await setup((attempt, ctx) => {
      ctx.store<number>('s').put('k', (ctx.store<number>('s').get('k') ?? 0) + 1);
      ctx.emit(topics.output, 'k', { key: 'k', seq: attempt, count: 1, partition: 0 });
      if (attempt < 3) throw new RetryableError('scorer timed out');
    });
    await task.processBatch([input]);
    const commit = task.takeCommit();
    expect(attempts()).toBe(3);
    expect(commit.processed).toBe(1);
    expect(commit.records.filter((r) => r.topic === topics.output)).toHaveLength(1);
    expect(task.storeEntries('s')).toEqual([['k', 1]]);
    expect(commit.offsets).toEqual([{ topic: topics.input, partition: 0, offset: 8 }]);
  });

  test('dead-letters a record when retries run out, with the attempts and no state change', async () => {
    const { task, input, codec } = await setup((_attempt, ctx) => {
      ctx.store<number>('s').put('k', 99);
      throw new RetryableError('scorer down');
    });
    await task.processBatch([input]);
    const commit = task.takeCommit();
    expect(commit.deadLettered).toBe(1);
    const dlq = commit.records.find((r) => r.topic === dlqTopic(topics.input))!;
    const value = (await codec.decode<Record<string, unknown>>({ ...dlq, offset: 0 })).value;
    expect(value).toMatchObject({ errorType: 'RETRIES_EXHAUSTED', attempts: 3, sourceOffset: 7 });
    expect(task.storeEntries('s')).toEqual([]);
  });

  test('emitting to an undeclared topic is a processing error, not a crash', async () => {
    const { task, input } = await setup((_attempt, ctx) => ctx.emit('elsewhere', 'k', {}));
    await task.processBatch([input]);
    const commit = task.takeCommit();
    expect(commit.deadLettered).toBe(1);
  });
});
