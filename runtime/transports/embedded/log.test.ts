import { EmbeddedLog } from './log';

describe('embedded log retention', () => {
  test('compaction keeps the latest value per key and drops old tombstones', () => {
    const log = new EmbeddedLog(':memory:');
    log.applyTopic({
      name: 'table',
      partitions: 1,
      cleanup: 'compact',
      retentionMs: null,
      format: 'raw',
      keySchema: 'string',
      valueSchema: 'bytes',
      doc: 'a compacted topic',
    });
    const record = (key: string, value: string | null, timestamp: number) => ({
      topic: 'table',
      partition: 0,
      key: Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      headers: {},
      timestamp,
    });
    const day = 24 * 3_600_000;
    log.append([record('a', '1', 0), record('a', '2', 0), record('b', '1', 0), record('b', null, 0)]);
    log.enforceRetention(2 * day);
    const left = log.fetch('table', 0, 0, 10).map((r) => [r.key!.toString(), r.value?.toString() ?? null]);
    expect(left).toEqual([['a', '2']]);
    log.close();
  });
});
