import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readLitigatorList } from './litigator';
import { SuppressionFileError, type SuppressionRow } from './rows';

async function rows(reader: AsyncIterable<SuppressionRow>): Promise<SuppressionRow[]> {
  const out: SuppressionRow[] = [];
  for await (const row of reader) out.push(row);
  return out;
}

const text = (content: string) => Readable.from([Buffer.from(content)]);

describe('litigator list', () => {
  it('finds the phone column by its header and reads numbers however punctuated', async () => {
    const file = fs.createReadStream(path.join(__dirname, 'fixtures', 'litigator.csv'));
    expect(await rows(readLitigatorList(file))).toEqual([
      { line: 2, number: '4155550103', action: 'add' },
      { line: 3, number: '4155550113', action: 'add' },
      { line: 4, reason: '"555**14" is not a 10-digit US phone number' },
      { line: 5, reason: 'row has no field 2, the phone column' },
      { line: 6, reason: 'line is not valid CSV: a quote is misplaced or never closed' },
      { line: 7, number: '2125550116', action: 'add' },
    ]);
  });

  it('reads a bare list of numbers, one per line', async () => {
    expect(await rows(readLitigatorList(text('4155550131\n(415) 555-0132\nnot a number\n')))).toEqual([
      { line: 1, number: '4155550131', action: 'add' },
      { line: 2, number: '4155550132', action: 'add' },
      { line: 3, reason: '"************" is not a 10-digit US phone number' },
    ]);
  });

  it('refuses a file with neither a phone column nor a number in its first row', async () => {
    const reading = rows(readLitigatorList(text('Name,Case\n"Doe, John",1:24-cv-00001\n')));
    await expect(reading).rejects.toThrow(SuppressionFileError);
    await expect(rows(readLitigatorList(text('Name,Case\n')))).rejects.toThrow(/line 1 has no phone column/);
  });
});
