import fc from 'fast-check';
import { parseMapping } from './mapping';
import { type FileRow, FileFormatError, formatOfFile, readRows, type ReadRowsOptions } from './rows';

async function rowsOf(
  content: string | Buffer,
  options: ReadRowsOptions,
  chunkSize?: number,
): Promise<FileRow[]> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  const size = chunkSize ?? bytes.length;
  for (let at = 0; at < bytes.length; at += Math.max(1, size))
    chunks.push(bytes.subarray(at, at + Math.max(1, size)));
  const rows: FileRow[] = [];
  for await (const row of readRows(
    (async function* () {
      yield* chunks;
    })(),
    options,
  ))
    rows.push(row);
  return rows;
}

const problems = (rows: FileRow[]) => rows.flatMap((r) => ('problem' in r ? [r.problem] : []));
const bodies = (rows: FileRow[]) => rows.flatMap((r) => ('body' in r ? [r.body] : []));

describe('CSV rows', () => {
  test('dot-notation columns become nested bodies; quoted fields may hold commas, quotes and line breaks', async () => {
    const csv =
      '\ufeffcontact.firstName,contact.phone,auto.vehicles.0.make,notes\r\n' +
      'Jane,415-555-0100,Toyota,"said ""call after 5"", then\nhung up"\r\n' +
      '\r\n' +
      'Bob,,,\n';
    const rows = await rowsOf(csv, { format: 'csv' });
    expect(rows).toEqual([
      {
        row: 2,
        body: {
          contact: { firstName: 'Jane', phone: '415-555-0100' },
          auto: { vehicles: [{ make: 'Toyota' }] },
          notes: 'said "call after 5", then\nhung up',
        },
      },
      { row: 5, body: { contact: { firstName: 'Bob' } } },
    ]);
  });

  test('unreadable rows are reported with their line and skipped; the rows around them are read', async () => {
    const csv = Buffer.concat([
      Buffer.from('contact.firstName,contact.phone,notes\n'),
      Buffer.from('"Ann"x,1,2\n'), // text after a closing quote
      Buffer.from('Bo,5\'10",2\n'), // a quote inside an unquoted field
      Buffer.from('Cy,1\n'), // ragged
      Buffer.from('Di,1,2,3\n'), // ragged
      Buffer.from([0x45, 0x76, 0xe9, 0x2c, 0x31, 0x2c, 0x32, 0x0a]), // Latin-1 "Evé,1,2"
      Buffer.from('Fay,"never closed,2\n'),
      Buffer.from('Gus,1,2\n'),
    ]);
    const rows = await rowsOf(csv, { format: 'csv' });
    expect(problems(rows).map((p) => [p.row, p.field, p.code])).toEqual([
      [2, '', 'bad_quoting'],
      [3, '', 'bad_quoting'],
      [4, '', 'ragged_row'],
      [5, '', 'ragged_row'],
      [6, 'contact.firstName', 'invalid_encoding'],
      [7, '', 'bad_quoting'],
    ]);
    for (const problem of problems(rows)) expect(problem.reason.length).toBeGreaterThan(10);
    expect(bodies(rows)).toEqual([{ contact: { firstName: 'Gus', phone: '1' }, notes: '2' }]);
  });

  test('a row longer than the limit is reported without being held in memory', async () => {
    const csv = `a,b\n1,2\n3,"${'x'.repeat(5000)}"\n5,6\n`;
    const rows = await rowsOf(csv, { format: 'csv', maxRowBytes: 1000 }, 64);
    expect(problems(rows).map((p) => [p.row, p.code])).toEqual([[3, 'line_too_long']]);
    expect(bodies(rows)).toEqual([
      { a: '1', b: '2' },
      { a: '5', b: '6' },
    ]);
  });

  test('a file that cannot be read as a whole fails with the reason', async () => {
    await expect(rowsOf('', { format: 'csv' })).rejects.toThrow(FileFormatError);
    await expect(rowsOf('a,a\n1,2\n', { format: 'csv' })).rejects.toThrow(/"a" appears twice/);
    await expect(rowsOf('"a,b\n', { format: 'csv' })).rejects.toThrow(/header row \(line 1\)/);
  });

  test('a column mapping renames the vendor headers; a mapped column missing from the file is an error', async () => {
    const mapping = parseMapping('First Name=contact.firstName,Phone=contact.phone');
    const rows = await rowsOf('First Name,Phone,Campaign\nJane,4155550100,spring\n', {
      format: 'csv',
      mapping,
    });
    expect(bodies(rows)).toEqual([
      { contact: { firstName: 'Jane', phone: '4155550100' }, Campaign: 'spring' },
    ]);
    const missing = rowsOf('First,Phone\nJane,1\n', { format: 'csv', mapping });
    await expect(missing).rejects.toMatchObject({
      field: 'map',
      message: expect.stringContaining('"First Name"'),
    });
  });

  test('how the bytes arrive in chunks never changes the rows', async () => {
    const csv =
      'contact.firstName,notes\n"Ann","multi\nline, with ""quotes"""\nBo,"x"y\nCy,plain\n' + 'Dé,"é\u00e9"\n';
    const whole = await rowsOf(csv, { format: 'csv' });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (chunkSize) => {
        expect(await rowsOf(csv, { format: 'csv' }, chunkSize)).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });
});

describe('NDJSON rows', () => {
  test('each line is a body; unreadable lines are reported and skipped', async () => {
    const ndjson = Buffer.concat([
      Buffer.from('\ufeff{"contact":{"phone":"1"}}\r\n'),
      Buffer.from('\n'),
      Buffer.from('{"contact":\n'),
      Buffer.from('[1,2]\n'),
      Buffer.from('"text"\n'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from('{"line":"auto"}'),
    ]);
    const rows = await rowsOf(ndjson, { format: 'ndjson' });
    expect(bodies(rows)).toEqual([{ contact: { phone: '1' } }, { line: 'auto' }]);
    expect(problems(rows).map((p) => [p.row, p.code])).toEqual([
      [3, 'invalid_json'],
      [4, 'not_an_object'],
      [5, 'not_an_object'],
      [6, 'invalid_encoding'],
    ]);
  });

  test('a mapping renames fields; a row with both the field and its source is ambiguous', async () => {
    const mapping = parseMapping('tel=contact.phone');
    const rows = await rowsOf('{"tel":"415","line":"auto"}\n{"tel":"1","contact":{"phone":"2"}}\n', {
      format: 'ndjson',
      mapping,
    });
    expect(bodies(rows)).toEqual([{ contact: { phone: '415' }, line: 'auto' }]);
    expect(problems(rows)).toEqual([
      { row: 2, field: 'contact.phone', code: 'mapping_conflict', reason: expect.stringContaining('both') },
    ]);
  });
});

test('the format follows the file name or media type', () => {
  expect(formatOfFile('leads.CSV')).toBe('csv');
  expect(formatOfFile('leads.jsonl')).toBe('ndjson');
  expect(formatOfFile('upload', 'application/x-ndjson')).toBe('ndjson');
  expect(formatOfFile('leads.xlsx')).toBeUndefined();
});
