import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
      await eventually(() => !commitAfterEmptyFetch, 'the other process to commit k1');
      await transport.produce([entry('k2')]);
      await eventually(() => seen.includes('k2'), 'k2 to be delivered');
      await follower.stop();
      expect(seen).toEqual(['k0', 'k1', 'k2']);
    } finally {
      otherProcess.close();
      await transport.close();
    }
  });
});
