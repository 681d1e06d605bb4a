import fs from 'node:fs';
import path from 'node:path';
import { readNationalDncChanges, readNationalDncList } from './national-dnc';
import type { SuppressionRow } from './rows';

const fixture = (name: string) => fs.createReadStream(path.join(__dirname, 'fixtures', name));

async function rows(reader: AsyncIterable<SuppressionRow>): Promise<SuppressionRow[]> {
  const out: SuppressionRow[] = [];
  for await (const row of reader) out.push(row);
  return out;
}

describe('National DNC full list', () => {
  it('reads ten-digit and area-code,number lines and reports each bad line without the number', async () => {
    expect(await rows(readNationalDncList(fixture('ftc-dnc-full.txt')))).toEqual([
      { line: 1, number: '4155550101', action: 'add' },
      { line: 2, number: '4155550102', action: 'add' },
      { line: 3, number: '4155550103', action: 'add' },
      { line: 5, number: '4155550104', action: 'add' },
      { line: 6, reason: expect.stringContaining('"415****10" is not a registry number') },
      { line: 7, reason: expect.stringContaining('"415****10" is not a registry number') },
      { line: 8, reason: 'line is not valid CSV: a quote is misplaced or never closed' },
      { line: 9, reason: 'line has 3 fields; a full-list line holds one number' },
      { line: 10, reason: 'line is not valid UTF-8 text' },
      { line: 11, number: '2125550107', action: 'add' },
    ]);
  });

  it('streams a file of any length row by row', async () => {
    const lines = 300_000;
    async function* registry() {
      for (let start = 0; start < lines; start += 10_000) {
        let chunk = '';
        for (let i = start; i < start + 10_000; i++) chunk += `212,${String(2000000 + i)}\n`;
        yield Buffer.from(chunk);
      }
    }
    let added = 0;
    let last = '';
    for await (const row of readNationalDncList(registry())) {
      if ('number' in row) {
        added += 1;
        last = row.number;
      }
    }
    expect(added).toBe(lines);
    expect(last).toBe(`212${2000000 + lines - 1}`);
  });
});

describe('National DNC change list', () => {
  it('reads additions and deletions by their A/D flag, ignoring other items, and rejects unclear rows', async () => {
    expect(await rows(readNationalDncChanges(fixture('ftc-dnc-changes.txt')))).toEqual([
      { line: 1, number: '4155550101', action: 'remove' },
      { line: 2, number: '4155550102', action: 'remove' },
      { line: 3, number: '4155550103', action: 'remove' },
      { line: 4, number: '4155550108', action: 'add' },
      { line: 5, reason: 'no add or delete flag (A or D)' },
      { line: 6, reason: 'both an add and a delete flag' },
      { line: 7, reason: expect.stringContaining('"415****12" is not a registry number') },
    ]);
  });
});
