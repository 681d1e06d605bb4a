import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKPOINT_MAX_AGE_MS, StateCheckpoints } from './checkpoint';

describe('StateCheckpoints', () => {
  let dir: string;
  let now: number;
  let checkpoints: StateCheckpoints;
  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'leadflow-checkpoint-')), 'group');
    now = 1_800_000_000_000;
    checkpoints = new StateCheckpoints(dir, () => now);
  });

  const stores = [
    {
      store: 'counts',
      entries: new Map<string, unknown>([
        ['a', 1],
        ['b', { nested: [1, 2] }],
      ]),
    },
    { store: 'empty', entries: new Map<string, unknown>() },
  ];

  async function load(usable = () => true) {
    const applied: [string, string, unknown][] = [];
    const header = await checkpoints.load(0, usable, (store, key, value) =>
      applied.push([store, key, value]),
    );
    return { header, applied };
  }

  test('gives back every entry and the offsets, and leaves no temporary file', async () => {
    await checkpoints.save(0, { changelogOffset: 42, sources: { dnc: 7 } }, stores);
    expect(await load()).toEqual({
      header: { changelogOffset: 42, sources: { dnc: 7 }, writtenAt: now },
      applied: [
        ['counts', 'a', 1],
        ['counts', 'b', { nested: [1, 2] }],
      ],
    });
    expect(readdirSync(dir)).toEqual(['0.ndjson']);
  });

  test("a write removes the partition's temporary files left by writes a crash cut off long ago", async () => {
    await checkpoints.save(0, { changelogOffset: 1, sources: {} }, stores);
    const stale = path.join(dir, '0.ndjson.4242-deadbeef.tmp');
    const recent = path.join(dir, '0.ndjson.4343-cafebabe.tmp');
    const otherPartition = path.join(dir, '1.ndjson.4242-deadbeef.tmp');
    for (const file of [stale, recent, otherPartition]) writeFileSync(file, '{"version":1');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    utimesSync(otherPartition, twoHoursAgo, twoHoursAgo);
    await checkpoints.save(0, { changelogOffset: 2, sources: {} }, stores);
    // A recent one may belong to a write under way in another process sharing the directory.
    expect(readdirSync(dir).sort()).toEqual([
      '0.ndjson',
      '0.ndjson.4343-cafebabe.tmp',
      '1.ndjson.4242-deadbeef.tmp',
    ]);
  });

  test('a later checkpoint replaces the earlier one', async () => {
    await checkpoints.save(0, { changelogOffset: 1, sources: {} }, stores);
    await checkpoints.save(0, { changelogOffset: 9, sources: {} }, [
      { store: 'counts', entries: new Map([['c', 3]]) },
    ]);
    expect(await load()).toEqual({
      header: { changelogOffset: 9, sources: {}, writtenAt: now },
      applied: [['counts', 'c', 3]],
    });
  });

  test('none, unusable for the changelog, or too old: nothing is applied', async () => {
    expect(await load()).toEqual({ header: undefined, applied: [] });
    await checkpoints.save(0, { changelogOffset: 42, sources: {} }, stores);
    expect(await load(() => false)).toEqual({ header: undefined, applied: [] });
    now += CHECKPOINT_MAX_AGE_MS + 1;
    expect(await load()).toEqual({ header: undefined, applied: [] });
  });

  test('a file cut short or with a foreign version is refused', async () => {
    await checkpoints.save(0, { changelogOffset: 42, sources: {} }, stores);
    const file = checkpoints.file(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    await expect(load()).rejects.toThrow(/ends before its end line/);
    writeFileSync(file, `${lines.slice(0, 2).join('\n')}\n${JSON.stringify({ end: 3 })}\n`);
    await expect(load()).rejects.toThrow(/holds 2 entries/);
    writeFileSync(
      file,
      [JSON.stringify({ version: 2, changelogOffset: 1, writtenAt: now }), ...lines.slice(1)].join('\n'),
    );
    expect(await load()).toEqual({ header: undefined, applied: [] });
  });
});
