/** Streams CSV files of historical rows (header line first) with csv-parse. */
import fs from 'node:fs';
import { parse } from 'csv-parse';

export type CsvRow = Record<string, string>;

/** Yields each data row with its 1-based line number in the file. */
export async function* csvRows(file: string): AsyncGenerator<{ row: CsvRow; line: number }> {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const parser = fs
    .createReadStream(file)
    .pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, info: true }));
  for await (const record of parser as AsyncIterable<{ record: CsvRow; info: { lines: number } }>) {
    yield { row: record.record, line: record.info.lines };
  }
}

export async function readCsv(file: string): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const { row } of csvRows(file)) rows.push(row);
  if (rows.length === 0) throw new Error(`${file} has no data rows`);
  return rows;
}

/** Fails early, naming the file, when a required column is absent. */
export function requireColumns(file: string, header: readonly string[], columns: readonly string[]): void {
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `${file} has no column ${missing.map((c) => `"${c}"`).join(', ')} (columns: ${header.slice(0, 12).join(', ')}${header.length > 12 ? ', ...' : ''})`,
    );
  }
}
