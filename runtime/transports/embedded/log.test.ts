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

  test('compact,delete keeps the latest value per key only until it is past retention', async () => {
    const log = new EmbeddedLog(':memory:');
    const day = 24 * 3_600_000;
    const rows = [
      record('training', 'expired', 'old', 0),
      record('training', 'updated', 'v1', 0),
      record('training', 'updated', 'v2', 9 * day),
      record('training', 'rewritten', 'v1', 8 * day),
      record('training', 'rewritten', 'v2', 9 * day),
      record('training', 'fresh', 'new', 9 * day),
    ];
    const left = async (cleanup: TopicSpec['cleanup']) => {
      log.applyTopic(topic(`training-${cleanup}`, cleanup, 5 * day));
      log.append(rows.map((r) => ({ ...r, topic: `training-${cleanup}` })));
      await log.enforceRetention(10 * day);
      return log
        .fetch(`training-${cleanup}`, 0, 0, 10)
        .map((r) => `${r.key!.toString()}=${r.value!.toString()}`);
    };
    expect(await left('compact,delete')).toEqual(['updated=v2', 'rewritten=v2', 'fresh=new']);
    // Compaction alone ignores retention, as on Kafka.
    expect(await left('compact')).toEqual(['expired=old', 'updated=v2', 'rewritten=v2', 'fresh=new']);
    log.close();
  });

  test('applying a topic again brings its cleanup policy and retention to the new spec', async () => {
    const log = new EmbeddedLog(':memory:');
    const day = 24 * 3_600_000;
    log.applyTopic(topic('training', 'compact', null));
    log.append([record('training', 'a', 'old', 0)]);
    expect(log.applyTopic(topic('training', 'compact,delete', 5 * day))).toEqual({
      topic: 'training',
      action: 'updated',
      detail: `cleanup compact -> compact,delete, retention null -> ${5 * day}`,
    });
    expect(log.describe(['training'])[0]).toMatchObject({ cleanup: 'compact,delete', retentionMs: 5 * day });
    await log.enforceRetention(10 * day);
    expect(log.fetch('training', 0, 0, 10)).toEqual([]);
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
