import { Readable } from 'node:stream';
import { maskPhone, nationalNumber, readCsvLines } from './rows';

describe('suppression rows', () => {
  it('reads a US number written with the usual punctuation, and nothing else', () => {
    expect(nationalNumber('(415) 555-0101')).toBe('4155550101');
    expect(nationalNumber('+1 415.555.0101')).toBe('4155550101');
    expect(nationalNumber('14155550101')).toBe('4155550101');
    expect(nationalNumber('24155550101')).toBeNull();
    expect(nationalNumber('415-555-CALL')).toBeNull();
    expect(nationalNumber('555-0101')).toBeNull();
  });

  it('masks all but the area code and the last two digits', () => {
    expect(maskPhone('(415) 555-0101')).toBe('415*****01');
    expect(maskPhone('Jane Doe')).toBe('********');
  });

  it('reports an overlong line and goes on with the next one', async () => {
    const source = Readable.from([Buffer.from(`${'9'.repeat(20_000)}\n415,5550101\n`)]);
    const lines = [];
    for await (const line of readCsvLines(source)) lines.push(line);
    expect(lines).toEqual([
      { line: 1, reason: 'line is longer than 16384 bytes' },
      { line: 2, fields: ['415', '5550101'] },
    ]);
  });
});
