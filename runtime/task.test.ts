import pino from 'pino';
import { BuiltInSchemaRegistry } from './registry';
import { counterTopics } from '../test/support/counter';
import { changelogTopic, dlqTopic, retryTopic } from './topic-spec';
import { RecordCodec } from './codec';
import { PermanentError, RetryableError } from './errors';
import { defineProcessor, type Processor, type ProcessorContext, type Timer } from './processor';
import type { OutgoingRecord, RawRecord } from './records';
import { Task } from './task';
import { Catalog } from './catalog';
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
  const { task, codec } = await taskOf(processor as never, topics.catalog);
  const encoded = codec.encode(topics.input, 'k', { key: 'k', seq: 0, n: 1 }, {}, 0);
  const input: RawRecord = { ...encoded, offset: 7 };
  return { task, input, attempts: () => attempts, codec };
}

/** A task of partition 0 of `processor`, with a codec over the catalogue and the processor's internal topics. */
async function taskOf(processor: Processor<never>, catalog: Catalog) {
  const codec = new RecordCodec(
    catalog.withProcessors('app', [processor]),
    new BuiltInSchemaRegistry(new EmbeddedTransport({ file: ':memory:' }).schemaLog()),
  );
  await codec.prepare([...processor.inputs, ...processor.outputs, dlqTopic(topics.input)]);
  const task = new Task({
    appId: 'app',
    processor,
    partition: 0,
    codec,
    log: pino({ level: 'silent' }),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return { task, codec };
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

/** A task whose processor is built by the test, with a clock the test moves. */
async function timerTask(
  definition: Pick<Parameters<typeof defineProcessor>[0], 'process' | 'onTimer' | 'flush' | 'retryLaterMs'>,
) {
  const processor = defineProcessor({
    name: 'unit',
    inputs: [topics.input],
    outputs: [topics.output],
    stores: ['s'],
    ...definition,
  });
  const catalog = topics.catalog.withProcessors('app', [processor as never]);
  const codec = new RecordCodec(
    catalog,
    new BuiltInSchemaRegistry(new EmbeddedTransport({ file: ':memory:' }).schemaLog()),
  );
  await codec.prepare([topics.input, topics.output, dlqTopic(topics.input)]);
  const clock = { now: 0 };
  const task = new Task({
    appId: 'app',
    processor: processor as never,
    partition: 0,
    codec,
    log: pino({ level: 'silent' }),
    clock: () => clock.now,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  let offset = 0;
  const input = (seq: number, key = 'k'): RawRecord => ({
    ...codec.encode(topics.input, key, { key, seq, n: 1 }, {}, 0),
    offset: offset++,
  });
  const deadLetters = async (commit: { records: OutgoingRecord[] }) =>
    Promise.all(
      commit.records
        .filter((r) => r.topic === dlqTopic(topics.input))
        .map(async (r) => (await codec.decode<Record<string, unknown>>({ ...r, offset: 0 })).value),
    );
  return { task, clock, input, deadLetters, codec };
}

describe('Task timers', () => {
  test('a timer moved by another timer that fired first does not fire at its old time, and cancel reaches it', async () => {
    const fired: string[] = [];
    const { task, clock, input } = await timerTask({
      process(record, ctx) {
        const { seq } = record.value as { seq: number };
        if (seq === 0) {
          ctx.schedule(5, 'A');
          ctx.schedule(5, 'B');
        } else ctx.cancel('B');
      },
      onTimer(timer, ctx) {
        fired.push(`${timer.key}@${timer.at}`);
        if (timer.key === 'A') ctx.schedule(2000, 'B');
      },
    });
    await task.processBatch([input(0)]);
    clock.now = 10;
    await task.fireDueTimers();
    expect(fired).toEqual(['A@5']);
    await task.processBatch([input(1)]);
    clock.now = 3000;
    await task.fireDueTimers();
    expect(fired).toEqual(['A@5']);
  });

  test('a timer moved to a later time fires once, at that time', async () => {
    const fired: string[] = [];
    const { task, clock, input } = await timerTask({
      process: (_record, ctx) => {
        ctx.schedule(5, 'A');
        ctx.schedule(5, 'B');
      },
      onTimer(timer, ctx) {
        fired.push(`${timer.key}@${timer.at}`);
        if (timer.key === 'A') ctx.schedule(2000, 'B');
      },
    });
    await task.processBatch([input(0)]);
    clock.now = 10;
    await task.fireDueTimers();
    clock.now = 3000;
    await task.fireDueTimers();
    await task.fireDueTimers();
    expect(fired).toEqual(['A@5', 'B@2000']);
    expect(task.storeEntries('__timers-by-key')).toEqual([]);
    expect(task.storeEntries('__timers-due')).toEqual([]);
  });

  test('timers come back from the changelog alone, moved and cancelled ones as they were', async () => {
    const timers = {
      process(record: { value: unknown }, ctx: ProcessorContext) {
        const { seq } = record.value as { seq: number };
        if (seq === 0) {
          ['A', 'B', 'C', 'D'].forEach((key) => ctx.schedule(100, key));
        } else {
          ctx.schedule(300, 'B'); // moved
          ctx.cancel('C');
          ctx.schedule(200, 'E');
          ctx.cancel('E'); // set and cancelled in one commit: no trace in the changelog
        }
      },
      onTimer() {},
    };
    const { task, input } = await timerTask(timers);
    const changelog: RawRecord[] = [];
    for (const seq of [0, 1]) {
      await task.processBatch([input(seq)]);
      const commit = task.takeCommit();
      task.committed();
      changelog.push(
        ...commit.records
          .filter((r) => r.topic === changelogTopic('app', 'unit'))
          .map((r) => ({ ...r, offset: 0 })),
      );
    }
    const keys = changelog.map((r) => r.key!.toString());
    // By key only (the due-time index is rebuilt): A-D set, then B moved and C removed.
    expect(keys).toEqual([
      ...['A', 'B', 'C', 'D'].map((k) => `__timers-by-key/${k}`),
      '__timers-by-key/B',
      '__timers-by-key/C',
    ]);

    const fired: string[] = [];
    const { task: rebuilt, clock } = await timerTask({
      ...timers,
      onTimer: (timer: Timer) => void fired.push(`${timer.key}@${timer.at}`),
    });
    rebuilt.restore(changelog);
    clock.now = 1000;
    await rebuilt.fireDueTimers();
    expect(fired).toEqual(['A@100', 'D@100', 'B@300']);
  });

  test('a timer whose handler throws a RetryableError is retried and its changes kept once', async () => {
    let calls = 0;
    const { task, clock, input } = await timerTask({
      process: (_record, ctx) => ctx.schedule(5, 'expire'),
      onTimer(timer, ctx) {
        calls++;
        ctx.store<number>('s').put('fired', (ctx.store<number>('s').get('fired') ?? 0) + 1);
        ctx.emit(topics.output, timer.key, { key: timer.key, seq: calls, count: 1, partition: 0 });
        if (calls < 3) throw new RetryableError('notifier timed out');
      },
    });
    await task.processBatch([input(0)]);
    task.takeCommit();
    clock.now = 10;
    await task.fireDueTimers();
    const commit = task.takeCommit();
    expect(calls).toBe(3);
    expect(task.storeEntries('s')).toEqual([['fired', 1]]);
    expect(commit.records.filter((r) => r.topic === topics.output)).toHaveLength(1);
    expect(task.storeEntries('__timers-by-key')).toEqual([]);
  });

  test('a timer that keeps failing is dead-lettered with its key and time, and its changes undone', async () => {
    const { task, clock, input, deadLetters } = await timerTask({
      process: (_record, ctx) => ctx.schedule(5, 'expire:L1'),
      onTimer(_timer, ctx) {
        ctx.store<number>('s').put('touched', 1);
        throw new Error('lead L1 has no state');
      },
    });
    await task.processBatch([input(0)]);
    task.takeCommit();
    clock.now = 10;
    await task.fireDueTimers();
    const commit = task.takeCommit();
    expect(await deadLetters(commit)).toEqual([
      expect.objectContaining({
        processor: 'unit',
        errorType: 'TIMER_FAILED',
        error: 'Error: lead L1 has no state',
        timerKey: 'expire:L1',
        timerAt: 5,
        sourcePartition: 0,
      }),
    ]);
    expect(commit.deadLettered).toBe(1);
    expect(task.storeEntries('s')).toEqual([]);
    expect(task.storeEntries('__timers-by-key')).toEqual([]);
  });
});

describe('Task flush', () => {
  const rejecting = (bad: Set<number>) => {
    const flushed: number[][] = [];
    return {
      flushed,
      async flush(records: readonly { value: unknown }[]) {
        const seqs = records.map((r) => (r.value as { seq: number }).seq);
        const poison = seqs.find((seq) => bad.has(seq));
        if (poison !== undefined) throw new PermanentError(`row ${poison} violates a constraint`);
        flushed.push(seqs);
      },
    };
  };

  test('a batch the store rejects for one record flushes the rest and dead-letters that record', async () => {
    const sink = rejecting(new Set([5]));
    const { task, input, deadLetters } = await timerTask({ process: () => undefined, flush: sink.flush });
    await task.processBatch(Array.from({ length: 8 }, (_, seq) => input(seq)));
    await task.flush();
    const commit = task.takeCommit();
    expect(sink.flushed.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(await deadLetters(commit)).toEqual([
      expect.objectContaining({ errorType: 'FLUSH_REJECTED', sourceOffset: 5, attempts: 1 }),
    ]);
    expect(commit.deadLettered).toBe(1);
    expect(commit.offsets).toEqual([{ topic: topics.input, partition: 0, offset: 8 }]);
  });

  test('an outage (any other error) fails the flush and dead-letters nothing', async () => {
    const { task, input } = await timerTask({
      process: () => undefined,
      flush: () => Promise.reject(new Error('connection refused')),
    });
    await task.processBatch([input(0), input(1)]);
    await expect(task.flush()).rejects.toThrow('connection refused');
    expect(task.takeCommit().deadLettered).toBe(0);
  });

  test('a dead letter of a record near the size limit keeps a pointer, not the payload', async () => {
    const { task, input, deadLetters } = await timerTask({
      process: () => {
        throw new Error('bad record');
      },
    });
    const big = input(0);
    big.value = Buffer.alloc(900_000, 1);
    big.headers = { note: 'x'.repeat(200_000) };
    await task.processBatch([big]);
    const commit = task.takeCommit();
    const dlq = commit.records.find((r) => r.topic === dlqTopic(topics.input))!;
    expect(dlq.value!.length).toBeLessThan(64 * 1024);
    expect(await deadLetters(commit)).toEqual([
      expect.objectContaining({ sourceOffset: 0, value: null, headers: {}, payloadOmitted: true }),
    ]);
  });
});

describe('Task retry rounds', () => {
  const retry = retryTopic('app', 'unit');
  /** What the retry topic hands back for a record the task parked: the same record at an offset. */
  const readBack = (parked: OutgoingRecord, offset: number): RawRecord => ({ ...parked, offset });
  const outputsOf = (commit: { records: OutgoingRecord[] }) =>
    commit.records.filter((r) => r.topic === topics.output);

  test('a record failing past its in-place attempts is parked, later records go on, and it is tried after the delay', async () => {
    let down = true;
    const seen: { seq: number; lastAttempt: boolean }[] = [];
    const { task, clock, input } = await timerTask({
      retryLaterMs: [1000, 5000],
      process(record, ctx) {
        const { seq } = record.value as { seq: number };
        seen.push({ seq, lastAttempt: ctx.lastAttempt });
        ctx.store<number>('s').put(String(seq), seq);
        ctx.emit(topics.output, 'k', { key: 'k', seq, count: 1, partition: 0 });
        if (seq === 0 && down) throw new RetryableError('receiver down');
      },
    });
    await task.processBatch([input(0), input(1)]);
    const first = task.takeCommit();
    task.committed();
    // Record 1 was not held behind record 0; record 0 left no state and no output.
    expect(outputsOf(first)).toHaveLength(1);
    expect(task.storeEntries('s')).toEqual([['1', 1]]);
    expect([first.processed, first.parked, first.deadLettered]).toEqual([1, 1, 0]);
    expect(first.offsets).toEqual([{ topic: topics.input, partition: 0, offset: 2 }]);
    const parked = first.records.filter((r) => r.topic === retry);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.headers).toMatchObject({
      'lf-retry-source': `${topics.input}/0`,
      'lf-retry-round': '1',
      'lf-retry-due': '1000',
      'lf-retry-error': 'RetryableError: receiver down',
    });
    expect(seen.filter((s) => s.seq === 0).every((s) => !s.lastAttempt)).toBe(true);

    // Read back from the retry topic, it waits for its time.
    await task.processBatch([readBack(parked[0]!, 0)]);
    clock.now = 999;
    expect(await task.fireDueTimers()).toBe(false);
    clock.now = 1000;
    expect(await task.fireDueTimers()).toBe(true);
    const second = task.takeCommit();
    task.committed();
    expect(second.offsets).toEqual([{ topic: retry, partition: 0, offset: 1 }]);
    const again = second.records.filter((r) => r.topic === retry);
    expect(again.map((r) => [r.headers['lf-retry-round'], r.headers['lf-retry-due']])).toEqual([
      ['2', '6000'],
    ]);

    // The last round: the processor is told, and this time the receiver is back.
    await task.processBatch([readBack(again[0]!, 1)]);
    down = false;
    clock.now = 6000;
    await task.fireDueTimers();
    const third = task.takeCommit();
    expect(seen[seen.length - 1]).toEqual({ seq: 0, lastAttempt: false });
    expect(third.processed).toBe(1);
    const delivered = outputsOf(third);
    expect(delivered).toHaveLength(1);
    // Downstream sees the record's own headers, none of the retry bookkeeping.
    expect(Object.keys(delivered[0]!.headers).filter((h) => h.startsWith('lf-retry'))).toEqual([]);
    expect(task.storeEntries('s')).toEqual([
      ['0', 0],
      ['1', 1],
    ]);
    expect(task.storeEntries('__parked')).toEqual([]);
  });

  test('after the last round the record is dead-lettered as it first came, and the last attempt is flagged', async () => {
    const lastAttempts: boolean[] = [];
    const { task, clock, input, deadLetters } = await timerTask({
      retryLaterMs: [100],
      process(_record, ctx) {
        lastAttempts.push(ctx.lastAttempt);
        throw new RetryableError('still down');
      },
    });
    await task.processBatch([input(0)]);
    const parked = task.takeCommit().records.find((r) => r.topic === retry)!;
    task.committed();
    await task.processBatch([readBack(parked, 0)]);
    clock.now = 100;
    await task.fireDueTimers();
    const commit = task.takeCommit();
    expect([commit.parked, commit.deadLettered]).toEqual([0, 1]);
    expect(await deadLetters(commit)).toEqual([
      expect.objectContaining({ errorType: 'RETRIES_EXHAUSTED', sourceTopic: topics.input, sourceOffset: 0 }),
    ]);
    // Three in-place attempts per round; only the very last one is the last attempt.
    expect(lastAttempts).toEqual([false, false, false, false, false, true]);
    expect(task.storeEntries('__parked')).toEqual([]);
  });

  test('a retry topic record without its source or due time is dead-lettered, not kept forever', async () => {
    const { task, input, deadLetters } = await timerTask({ retryLaterMs: [100], process() {} });
    const stray = { ...input(0), topic: retry, headers: { 'lf-retry-round': '1' } };
    await task.processBatch([stray]);
    const commit = task.takeCommit();
    expect(commit.offsets).toEqual([{ topic: retry, partition: 0, offset: 1 }]);
    expect(await deadLetters(commit)).toEqual([
      expect.objectContaining({ errorType: 'RETRY_RECORD_INVALID', sourceTopic: retry, sourceOffset: 0 }),
    ]);
    expect(task.storeEntries('__parked')).toEqual([]);
  });

  test('a parked record survives a restart: it is in the changelog until it is tried', async () => {
    const { task, input } = await timerTask({
      retryLaterMs: [100],
      process() {
        throw new RetryableError('down');
      },
    });
    await task.processBatch([input(0)]);
    const parked = task.takeCommit().records.find((r) => r.topic === retry)!;
    task.committed();
    await task.processBatch([readBack(parked, 0)]);
    const commit = task.takeCommit();
    const changelog = commit.records
      .filter((r) => r.topic === changelogTopic('app', 'unit'))
      .map((r) => ({ ...r, offset: 0 }));
    const { task: rebuilt } = await timerTask({ retryLaterMs: [100], process() {} });
    expect(rebuilt.restore(changelog)).toBe(1);
    expect(rebuilt.storeEntries('__parked')).toHaveLength(1);
  });

  test('a commit writes only the last record per key to a compacted output, every record to the others', async () => {
    // `timeouts` as a table (compacted), `output` as a stream.
    const tables = new Catalog(
      topics.catalog
        .all()
        .map((t) => (t.name === topics.timeouts ? { ...t, cleanup: 'compact' as const } : t)),
    );
    const processor = defineProcessor<{ key: string; seq: number }>({
      name: 'unit',
      inputs: [topics.input],
      outputs: [topics.output, topics.timeouts],
      process(record, ctx) {
        const value = { key: record.value.key, seq: record.value.seq, count: 1, partition: 0 };
        ctx.emit(topics.output, record.key, value);
        ctx.emit(topics.timeouts, record.key, value);
      },
    });
    const { task, codec } = await taskOf(processor as never, tables);
    const inputs = ['a', 'b', 'a', 'a', 'b', 'c'].map((key, seq): RawRecord => ({
      ...codec.encode(topics.input, key, { key, seq, n: 1 }, {}, 0),
      offset: seq,
    }));
    const seqs = async (commit: { records: OutgoingRecord[] }, topic: string) =>
      Promise.all(
        commit.records
          .filter((r) => r.topic === topic)
          .map(async (r) => (await codec.decode<{ key: string; seq: number }>({ ...r, offset: 0 })).value),
      );
    await task.processBatch(inputs.slice(0, 4));
    await task.processBatch(inputs.slice(4));
    const commit = task.takeCommit();
    expect((await seqs(commit, topics.output)).map((v) => v.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    // In the order of each key's last record.
    expect(await seqs(commit, topics.timeouts)).toEqual([
      expect.objectContaining({ key: 'a', seq: 3 }),
      expect.objectContaining({ key: 'b', seq: 4 }),
      expect.objectContaining({ key: 'c', seq: 5 }),
    ]);
    // The next commit starts a new cache.
    await task.processBatch([{ ...inputs[0]!, offset: 6 }]);
    expect((await seqs(task.takeCommit(), topics.timeouts)).map((v) => v.key)).toEqual(['a']);
  });
});
