import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readReassignedResults } from './reassigned';
import { SuppressionFileError, type SuppressionRow } from './rows';

const NOW = Date.UTC(2025, 5, 2, 15);

async function rows(reader: AsyncIterable<SuppressionRow>): Promise<SuppressionRow[]> {
  const out: SuppressionRow[] = [];
  for await (const row of reader) out.push(row);
  return out;
}

describe('FCC Reassigned Numbers Database results', () => {
  it('adds the numbers answered yes with the day asked about; no and no data change nothing', async () => {
    const file = fs.createReadStream(path.join(__dirname, 'fixtures', 'rnd-results.csv'));
    expect(await rows(readReassignedResults(file, { now: NOW }))).toEqual([
      { line: 2, number: '4155550104', action: 'add', disconnectedOnOrAfter: Date.UTC(2025, 2, 1) },
      { line: 3, number: '4155550121', action: 'add', disconnectedOnOrAfter: Date.UTC(2025, 2, 1) },
      { line: 4, number: '4155550122', action: 'none' },
      { line: 5, number: '4155550123', action: 'none' },
      { line: 6, reason: 'date "2025-02-30" is not a calendar date (YYYY-MM-DD or M/D/YYYY)' },
      { line: 7, reason: 'answer "maybe" is not yes, no or no data' },
      { line: 8, reason: '"415****12" is not a 10-digit US phone number' },
      { line: 9, reason: 'date "12/31/2099" is not in the past' },
      { line: 10, number: '2125550127', action: 'add', disconnectedOnOrAfter: Date.UTC(2025, 3, 15) },
    ]);
  });

  it('refuses a file whose header lacks the number, date or answer column', async () => {
    const file = Readable.from([Buffer.from('Phone,Result\n4155550121,Yes\n')]);
    const reading = rows(readReassignedResults(file, { now: NOW }));
    await expect(reading).rejects.toThrow(SuppressionFileError);
    await expect(
      rows(readReassignedResults(Readable.from([Buffer.from('Phone,Result\n')]), { now: NOW })),
    ).rejects.toThrow(/has no date column/);
  });
});
