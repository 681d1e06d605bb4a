import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TopicSpec } from '../../topic-spec';
import { EmbeddedLog } from './log';

const topic = (name: string, cleanup: TopicSpec['cleanup'], retentionMs: number | null): TopicSpec => ({
  name,
  partitions: 1,
  cleanup,
  retentionMs,
  format: 'raw',
  keySchema: 'string',
  valueSchema: 'bytes',
  doc: 'a test topic',
});

const record = (topic: string, key: string, value: string | null, timestamp: number) => ({
  topic,
  partition: 0,
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: {},
  timestamp,
});

describe('embedded log retention', () => {
  test('compaction keeps the latest value per key and drops old tombstones', async () => {
    const log = new EmbeddedLog(':memory:');
    log.applyTopic(topic('table', 'compact', null));
    const day = 24 * 3_600_000;
    log.append([
      record('table', 'a', '1', 0),
      record('table', 'a', '2', 0),
      record('table', 'b', '1', 0),
      record('table', 'b', null, 0),
    ]);
    await log.enforceRetention(2 * day);
    const left = log.fetch('table', 0, 0, 10).map((r) => [r.key!.toString(), r.value?.toString() ?? null]);
    expect(left).toEqual([['a', '2']]);
    log.close();
  });

  test('a retention pass deletes in chunks, letting another connection write between them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-log-'));
    const file = path.join(dir, 'log.sqlite');
    const log = new EmbeddedLog(file);
    const other = new EmbeddedLog(file);
    try {
      const hour = 3_600_000;
      log.applyTopic(topic('events', 'delete', hour));
      log.append(Array.from({ length: 2500 }, (_, i) => record('events', `k${i}`, 'old', 0)));
      const pass = log.enforceRetention(2 * hour);
      other.append([record('events', 'fresh', 'new', 2 * hour)]);
      expect(await pass).toEqual({ deleted: 2500 });
      expect(log.fetch('events', 0, 0, 10).map((r) => r.key!.toString())).toEqual(['fresh']);
    } finally {
      other.close();
      log.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one holder at a time has a lease, until it lapses', () => {
    const log = new EmbeddedLog(':memory:');
    expect(log.takeLease('retention', 'a', 0, 1000)).toBe(true);
    expect(log.takeLease('retention', 'b', 500, 1000)).toBe(false);
    expect(log.takeLease('retention', 'a', 900, 1000)).toBe(true);
    expect(log.takeLease('retention', 'b', 1500, 1000)).toBe(false);
    expect(log.takeLease('retention', 'b', 1900, 1000)).toBe(true);
    expect(log.takeLease('retention', 'a', 2000, 1000)).toBe(false);
    log.close();
  });
});
