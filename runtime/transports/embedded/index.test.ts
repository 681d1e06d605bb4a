import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { codecFor, eventually, testLog } from '../../../test/support/harness';
import { type Count, counterProcessor, counterTopics } from '../../../test/support/counter';
import { BuiltInSchemaRegistry } from '../../registry';
import { Pipeline } from '../../pipeline';
import { defineProcessor } from '../../processor';
import type { RawRecord } from '../../records';
import { EmbeddedTransport } from '.';
import { EmbeddedLog } from './log';

jest.setTimeout(60_000);

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-embedded-'));
  file = path.join(dir, 'log.sqlite');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const table = {
  name: 'table',
  partitions: 1,
  cleanup: 'compact' as const,
  retentionMs: null,
  format: 'raw' as const,
  keySchema: 'string' as const,
  valueSchema: 'bytes' as const,
  doc: 'a global table',
};

const entry = (key: string) => ({
  topic: table.name,
  partition: 0,
  key: Buffer.from(key),
  value: Buffer.from('v'),
  headers: {},
  timestamp: Date.now(),
});

describe('embedded follower', () => {
  test('sees a record another process commits right after the follower found nothing new', async () => {
    const transport = new EmbeddedTransport({ file, pollIntervalMs: 5 });
    const otherProcess = new EmbeddedLog(file);
    try {
      await transport.applyTopics([table]);
      await transport.produce([entry('k0')]);
      // Another process commits k1 between the follower's empty fetch and whatever it reads next.
      let commitAfterEmptyFetch = false;
      const fetch = transport.log.fetch.bind(transport.log);
      jest.spyOn(transport.log, 'fetch').mockImplementation((...args) => {
        const records = fetch(...args);
        if (commitAfterEmptyFetch && records.length === 0) {
          commitAfterEmptyFetch = false;
          otherProcess.append([entry('k1')]);
        }
        return records;
      });
      const seen: string[] = [];
      const follower = transport.follow(table.name, (records: RawRecord[]) => {
        seen.push(...records.map((r) => r.key!.toString()));
      });
      await follower.ready;
      commitAfterEmptyFetch = true;
      await eventually(() => !commitAfterEmptyFetch, 20_000, 'the other process to commit k1');
      await transport.produce([entry('k2')]);
      await eventually(() => seen.includes('k2'), 20_000, 'k2 to be delivered');
      await follower.stop();
      expect(seen).toEqual(['k0', 'k1', 'k2']);
    } finally {
      otherProcess.close();
      await transport.close();
    }
  });
});

describe('embedded processor loop', () => {
  test('outlives another process holding the write lock past the busy timeout, and commits its work once', async () => {
    // Long sessions: the member stays live while it cannot heartbeat, so it keeps its task.
    const transport = new EmbeddedTransport({ file, heartbeatIntervalMs: 200, sessionTimeoutMs: 600_000 });
    const topics = counterTopics('busy', 1);
    const processed: number[] = [];
    const counter = counterProcessor(topics);
    const processor = defineProcessor({
      ...counter,
      process(record, ctx) {
        processed.push(record.value.seq);
        return counter.process(record, ctx);
      },
    });
    const pipeline = await Pipeline.start({
      appId: 'busy',
      transport,
      registry: new BuiltInSchemaRegistry(transport.schemaLog()),
      catalog: topics.catalog,
      processors: [processor as never],
      log: testLog,
    });
    const holder = new Database(file);
    // Waits for the lock rather than failing if the log is being written just then.
    holder.pragma('busy_timeout = 30000');
    try {
      const { codec } = await codecFor(transport, topics.catalog, [topics.input]);
      // The other process takes the write lock just as the first commit starts, and keeps it
      // until the heartbeat (due later) has found it taken too.
      const commit = transport.log.commitStep.bind(transport.log);
      const commitStep = jest.spyOn(transport.log, 'commitStep').mockImplementation((...args) => {
        if (!holder.inTransaction && commitStep.mock.calls.length === 1) holder.exec('BEGIN IMMEDIATE');
        return commit(...args);
      });
      const threwBusy = (spy: jest.SpyInstance) =>
        spy.mock.results.some(
          (r) => r.type === 'throw' && /^SQLITE_BUSY/.test((r.value as { code: string }).code),
        );
      const seqs = Array.from({ length: 20 }, (_, seq) => seq);
      await transport.produce(
        seqs.map((seq) => codec.encode(topics.input, `k${seq % 3}`, { key: `k${seq % 3}`, seq, n: 1 })),
      );
      await eventually(() => threwBusy(commitStep), 30_000, 'the commit to find the log locked');
      // Held well past the busy timeout; a heartbeat due meanwhile meets the lock too, but a
      // loaded machine may not get to one, so only the commit's is required.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      holder.exec('COMMIT');

      await pipeline.waitIdle(30_000);
      expect(pipeline.runs[0]!.assignedPartitions()).toEqual([0]);
      const counts = await Promise.all(
        (await transport.read(topics.output)).map(async (r) => (await codec.decode<Count>(r)).value),
      );
      expect(counts.map((c) => c.seq)).toEqual(seqs);
      for (const key of ['k0', 'k1', 'k2']) {
        const perKey = counts.filter((c) => c.key === key).map((c) => c.count);
        expect(perKey).toEqual(perKey.map((_, i) => i + 1));
      }
      // The commit was retried, not the task rebuilt: nothing was processed twice.
      expect(processed).toEqual(seqs);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await pipeline.stop();
      await transport.close();
    }
  });
});

describe('embedded retention', () => {
  test('a failing retention pass is reported and retried, not thrown into the process', async () => {
    const failures: string[] = [];
    const log = pino(
      { level: 'error' },
      { write: (line: string) => void failures.push((JSON.parse(line) as { msg: string }).msg) },
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const transport = new EmbeddedTransport({ file, retentionIntervalMs: 20, log });
    try {
      let passes = 0;
      // A fault no retry can fix (a full disk, a corrupt page): the only failure that is not busy.
      transport.log.enforceRetention = () => {
        passes++;
        return Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
      };
      await eventually(() => passes >= 2, 10_000, 'two retention passes');
      await new Promise((resolve) => setImmediate(resolve));
      expect(failures.filter((msg) => msg === 'retention pass failed').length).toBeGreaterThanOrEqual(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await transport.close();
    }
  });
});
