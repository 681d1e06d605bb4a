/**
 * Fused stages against unfused ones, on both transports: the same input must leave the same
 * records on every topic, timers included; a stage that changes the key inside a fused chain is
 * refused record by record (dead letter), a chain that cannot be fused is refused up front, and
 * a deployment that ran the stages apart moves onto the fused processor with each record once.
 */
import { Catalog } from '../../runtime/catalog';
import { RetryableError } from '../../runtime/errors';
import type { RecordCodec } from '../../runtime/codec';
import { fuse, fusedPlan, subTopologies } from '../../runtime/fusion';
import { fusionUpgradeState, upgradeToFused } from '../../runtime/fusion-upgrade';
import { Pipeline } from '../../runtime/pipeline';
import { defineProcessor, type Processor } from '../../runtime/processor';
import { changelogTopic, dlqTopic, type TopicSpec } from '../../runtime/topic-spec';
import { type Tick, tickSchema } from '../support/counter';
import { codecFor, readValues, testLog, transportsUnderTest } from '../support/harness';

jest.setTimeout(180_000);

const tickTopic = (name: string): TopicSpec => ({
  name,
  partitions: 4,
  cleanup: 'delete',
  retentionMs: null,
  format: 'avro',
  keySchema: 'string',
  valueSchema: tickSchema as unknown as TopicSpec['valueSchema'],
  doc: 'test topic',
});

/** A chain of three stages over topics a -> b -> c, the third also reading a; d is its output. */
function chain(prefix: string, options: { rekey?: boolean } = {}) {
  const topic = (name: string) => `${prefix}.${name}`;
  const catalog = new Catalog(['a', 'b', 'c', 'd'].map((name) => tickTopic(topic(name))));
  const first = defineProcessor<Tick>({
    name: 'first',
    inputs: [topic('a')],
    outputs: [topic('b')],
    stores: ['counts'],
    process(record, ctx) {
      const counts = ctx.store<number>('counts');
      const count = (counts.get(record.key) ?? 0) + 1;
      counts.put(record.key, count);
      if (count === 1) ctx.schedule(ctx.now() + 200, record.key);
      const key = options.rekey && record.value.seq % 2 === 1 ? `${record.key}-odd` : record.key;
      ctx.emit(topic('b'), key, { key: record.key, seq: record.value.seq, n: count });
    },
    onTimer(timer, ctx) {
      // A timer's emits are handed on too.
      ctx.emit(topic('b'), timer.key, { key: timer.key, seq: -1, n: 0 });
    },
  });
  const second = defineProcessor<Tick>({
    name: 'second',
    inputs: [topic('b')],
    outputs: [topic('c')],
    process(record, ctx) {
      ctx.emit(topic('c'), record.key, { ...record.value, n: record.value.n * 10 });
    },
  });
  const third = defineProcessor<Tick>({
    name: 'third',
    inputs: [topic('c'), topic('a')],
    outputs: [topic('d')],
    stores: ['seen'],
    process(record, ctx) {
      // Records of its two inputs come in another order when fused, so it emits no running figure.
      const seen = ctx.store<number>('seen');
      seen.put(record.key, (seen.get(record.key) ?? 0) + 1);
      ctx.emit(topic('d'), record.key, { ...record.value, n: record.value.n + 1 });
    },
  });
  return { topic, catalog, stages: [first, second, third] as Processor<never>[] };
}

const sorted = (ticks: Tick[]) =>
  ticks.map((t) => `${t.key}/${t.seq}/${t.n}`).sort((x, y) => x.localeCompare(y));

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`fused stages: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    /** Runs `processors` over the same 200 ticks; returns what each topic ends up holding. */
    async function runOver(prefix: string, build: (c: ReturnType<typeof chain>) => Processor<never>[]) {
      const harness = choice.create();
      const transport = harness.connect();
      const c = chain(`${harness.prefix}-${prefix}`, { rekey: prefix.includes('rekey') });
      try {
        const processors = build(c);
        const pipeline = await Pipeline.start({
          appId: `${harness.prefix}-${prefix}`,
          transport,
          registry: harness.registry(transport),
          catalog: c.catalog,
          processors,
          log: testLog,
        });
        const { codec } = await codecFor(transport, c.catalog.withProcessors(harness.prefix, processors), [
          c.topic('a'),
        ]);
        await transport.produce(
          Array.from({ length: 200 }, (_, seq) => {
            const key = `k${seq % 20}`;
            return codec.encode(c.topic('a'), key, { key, seq, n: 1 });
          }),
        );
        await pipeline.waitIdle();
        await new Promise((resolve) => setTimeout(resolve, 400)); // the timers, 200 ms after
        await pipeline.waitIdle();
        await pipeline.stop();
        const read = async (name: string) => sorted(await readValues<Tick>(transport, codec, c.topic(name)));
        const deadLetters = await readValues<{ errorType: string; error: string }>(
          transport,
          codec,
          dlqTopic(c.topic('a')),
        ).catch(() => []);
        return { b: await read('b'), c: await read('c'), d: await read('d'), deadLetters };
      } finally {
        await harness.dispose();
      }
    }

    test('a fused chain leaves the same records on every topic as the stages run apart', async () => {
      const apart = await runOver('apart', (c) => c.stages);
      const fused = await runOver('fused', (c) => [fuse('chain', c.stages, c.catalog)]);
      expect(apart.b).toHaveLength(220); // 200 records and 20 timers
      expect(apart.d).toHaveLength(420); // c's 220 and a's 200
      expect(fused).toEqual(apart);
    });

    test('a record the first fused stage parks runs the whole chain once, a round later', async () => {
      let failures = 0;
      const fused = await runOver('parking', (c) => {
        const [first, ...rest] = c.stages as [Processor<never>, ...Processor<never>[]];
        // A provider down for the in-place attempts (5), then back.
        const parking: Processor<never> = {
          ...first,
          retryLaterMs: [100],
          process(record, ctx) {
            if ((record.value as Tick).seq === 7 && failures < 5) {
              failures++;
              throw new RetryableError('provider down');
            }
            return first.process(record, ctx);
          },
        };
        return [fuse('chain', [parking, ...rest], c.catalog)];
      });
      expect(failures).toBe(5);
      expect(fused.deadLetters).toEqual([]);
      expect(fused.b).toHaveLength(220);
      expect(fused.d).toHaveLength(420);
      const seventh = (records: string[]) => records.filter((r) => r.split('/')[1] === '7');
      expect(seventh(fused.b)).toHaveLength(1);
      expect(seventh(fused.c)).toHaveLength(1);
      expect(seventh(fused.d)).toHaveLength(2); // from c and from a
    });

    test('a stage that changes the key inside a fused chain is refused for those records', async () => {
      const fused = await runOver('rekey', (c) => [fuse('chain', c.stages, c.catalog)]);
      // Odd records change their key: those landing in another partition are dead-lettered.
      expect(fused.deadLetters.length).toBeGreaterThan(0);
      for (const letter of fused.deadLetters) {
        expect(letter.errorType).toBe('PROCESS_FAILED');
        expect(letter.error).toMatch(/a stage that changes the key cannot be fused/);
      }
    });

    test('an upgrade moves a running chain onto its fused processor: each record once, state kept', async () => {
      const harness = choice.create();
      const transport = harness.connect();
      const appId = `${harness.prefix}-upgrade`;
      const { topic, catalog, stages } = upgradeChain(appId);
      const fused = fuse('first-second', stages, catalog);
      const registry = harness.registry(transport);
      let codec!: RecordCodec;
      const run = async (processors: Processor<never>[], ticks: number[]) => {
        const pipeline = await Pipeline.start({
          appId,
          transport,
          registry,
          catalog,
          processors,
          log: testLog,
        });
        await transport.produce(ticks.map((seq) => codec.encode(topic('a'), `k${seq % 10}`, tick(seq))));
        await pipeline.waitIdle();
        await pipeline.stop();
      };
      const tick = (seq: number): Tick => ({ key: `k${seq % 10}`, seq, n: 1 });
      const range = (from: number) => Array.from({ length: 100 }, (_, i) => from + i);
      try {
        await transport.applyTopics(catalog.withProcessors(appId, stages).all());
        ({ codec } = await codecFor(transport, catalog, [topic('a')]));
        const upgrade = { transport, registry, appId, catalog, fused, stages, log: testLog };
        expect(await fusionUpgradeState(upgrade)).toBe('fresh');
        await run(stages, range(0));
        // The first stage alone: its last 100 records wait in b for the second.
        await run([stages[0]!], range(100));
        // And 100 more wait in a for the first.
        await transport.produce(range(200).map((seq) => codec.encode(topic('a'), `k${seq % 10}`, tick(seq))));
        expect(await fusionUpgradeState(upgrade)).toBe('needed');

        expect(await upgradeToFused(upgrade)).toBe('needed');
        expect(await fusionUpgradeState(upgrade)).toBe('done');
        expect(await upgradeToFused(upgrade)).toBe('done');
        await run([fused], []);

        const out = await readValues<Tick>(transport, codec, topic('c'));
        expect(out.map((t) => t.seq).sort((x, y) => x - y)).toEqual([
          ...range(0),
          ...range(100),
          ...range(200),
        ]);
        // Each key's 30 records: the first stage's count went on from 20 to 30 (1+...+30 = 465 in
        // the second stage's sum), so both stages' state came across.
        const sums = new Map<string, number>();
        for (const t of out) sums.set(t.key, Math.max(sums.get(t.key) ?? 0, t.n));
        expect([...sums.values()]).toEqual(Array(10).fill(465));
        // The first stage's timers (an hour out) are the fused processor's, under its stage's name.
        const fusedState = (await transport.read(changelogTopic(appId, fused.name))).map((r) =>
          r.key!.toString(),
        );
        expect(fusedState.filter((k) => k.startsWith('__timers-by-key/first:'))).toHaveLength(10);
      } finally {
        await harness.dispose();
      }
    });
  });
}

/** Two stages, a -> b -> c: the first counts per key and sets a timer, the second sums the counts. */
function upgradeChain(prefix: string) {
  const topic = (name: string) => `${prefix}.${name}`;
  const catalog = new Catalog(['a', 'b', 'c'].map((name) => tickTopic(topic(name))));
  const first = defineProcessor<Tick>({
    name: 'first',
    inputs: [topic('a')],
    outputs: [topic('b')],
    stores: ['counts'],
    process(record, ctx) {
      const counts = ctx.store<number>('counts');
      const count = (counts.get(record.key) ?? 0) + 1;
      counts.put(record.key, count);
      if (count === 1) ctx.schedule(ctx.now() + 3_600_000, record.key);
      ctx.emit(topic('b'), record.key, { ...record.value, n: count });
    },
  });
  const second = defineProcessor<Tick>({
    name: 'second',
    inputs: [topic('b')],
    outputs: [topic('c')],
    stores: ['sums'],
    process(record, ctx) {
      const sums = ctx.store<number>('sums');
      const sum = (sums.get(record.key) ?? 0) + record.value.n;
      sums.put(record.key, sum);
      ctx.emit(topic('c'), record.key, { ...record.value, n: sum });
    },
  });
  return { topic, catalog, stages: [first, second] as Processor<never>[] };
}

describe('fuse', () => {
  const c = chain('plan');

  test('names the sources, the edges and the stores', () => {
    const fused = fuse('chain', c.stages, c.catalog);
    expect(fusedPlan(fused)).toEqual({
      name: 'chain',
      stages: ['first', 'second', 'third'],
      sources: [c.topic('a')],
      edges: [c.topic('b'), c.topic('c')],
    });
    expect(fused.inputs).toEqual([c.topic('a')]);
    expect(fused.outputs).toEqual([c.topic('b'), c.topic('c'), c.topic('d')]);
    expect(fused.stores).toEqual(['first--counts', 'third--seen']);
  });

  test('the compiled plan lists a fused processor with its stages beside plain ones', () => {
    const [first, second, third] = c.stages as [Processor<never>, Processor<never>, Processor<never>];
    const plan = subTopologies([fuse('head', [first, second], c.catalog), third], c.catalog);
    expect(plan).toEqual([
      {
        processor: 'head',
        stages: ['first', 'second'],
        reads: [c.topic('a')],
        handsOn: [c.topic('b')],
        writes: [c.topic('b'), c.topic('c')],
        stores: ['first--counts'],
        partitions: 4,
      },
      {
        processor: 'third',
        stages: ['third'],
        reads: [c.topic('c'), c.topic('a')],
        handsOn: [],
        writes: [c.topic('d')],
        stores: ['seen'],
        partitions: 4,
      },
    ]);
  });

  test('refuses stages that flush, park records, or read nothing an earlier stage writes', () => {
    const [first, second, third] = c.stages as [Processor<never>, Processor<never>, Processor<never>];
    const sink = { ...second, flush: () => Promise.resolve() };
    expect(() => fuse('x', [first, sink], c.catalog)).toThrow(/second flushes/);
    const parking = { ...second, retryLaterMs: [1000] };
    expect(() => fuse('x', [first, parking], c.catalog)).toThrow(/second parks records/);
    expect(fuse('x', [{ ...first, retryLaterMs: [1000] }, second], c.catalog).retryLaterMs).toEqual([1000]);
    expect(() => fuse('x', [first, third], c.catalog)).toThrow(/third reads nothing an earlier stage writes/);
  });
});
