/**
 * Reads lead rows from a CSV or NDJSON byte stream, one row at a time: memory stays constant
 * whatever the file's size. A row that cannot be read at all (bad quoting, a ragged row, a line
 * that is not JSON, bytes that are not UTF-8) becomes a problem naming its line and field, and
 * reading goes on with the next row. Whether a readable row is a good lead is not decided here:
 * that is the validate stage's job, as for leads sent over HTTP.
 */
import type { IntakeRefusalCode } from '../../schemas/intake-records';
import { CsvError, parse } from 'csv-parse/sync';
import { flatten, fromCsvRow } from './format';
import { decodeUtf8, type Line, splitLines, stripBom } from './lines';
import { type ColumnMapping, MappingError, mapHeader } from './mapping';

export const FILE_FORMATS = ['csv', 'ndjson'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** The format a file's name (or media type) says it has. */
export function formatOfFile(fileName: string, mediaType = ''): FileFormat | undefined {
  const extension = /\.[^./\\]+$/.exec(fileName.toLowerCase())?.[0];
  if (extension === '.csv' || mediaType === 'text/csv') return 'csv';
  if (
    extension === '.ndjson' ||
    extension === '.jsonl' ||
    ['application/x-ndjson', 'application/jsonl'].includes(mediaType)
  )
    return 'ndjson';
  return undefined;
}

export type UnreadableCode =
  | 'invalid_encoding'
  | 'invalid_json'
  | 'not_an_object'
  | 'line_too_long'
  | 'ragged_row'
  | 'bad_quoting'
  | 'mapping_conflict';

export interface RowProblem {
  /** Line number in the file where the row starts (the CSV header is line 1). */
  row: number;
  /** Column (CSV) or field (NDJSON) concerned; '' for the row as a whole. */
  field: string;
  /** Unreadable, or (a readable row) kept out by its vendor's caps or schedule. */
  code: UnreadableCode | IntakeRefusalCode;
  reason: string;
}

export type FileRow = { row: number; body: Record<string, unknown> } | { row: number; problem: RowProblem };

/** The file as a whole cannot be read: no header, duplicate columns, a mapping that does not fit. */
export class FileFormatError extends Error {
  override name = 'FileFormatError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadRowsOptions {
  format: FileFormat;
  mapping?: ColumnMapping;
  /** Longest row accepted, in bytes; longer rows are reported and skipped. */
  maxRowBytes?: number;
}

/** A lead body is a few KB; a megabyte per row leaves room for long notes and still bounds memory. */
export const MAX_ROW_BYTES = 1024 * 1024;
/** A quoted CSV field may span lines (notes); past this many lines an open quote is taken as a mistake. */
const MAX_RECORD_LINES = 200;

export function readRows(source: AsyncIterable<Buffer>, options: ReadRowsOptions): AsyncGenerator<FileRow> {
  const maxBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
  const lines = splitLines(source, maxBytes);
  return options.format === 'csv'
    ? csvRows(lines, options.mapping, maxBytes)
    : ndjsonRows(lines, options.mapping, maxBytes);
}

// ---------------------------------------------------------------------------------------------
// NDJSON

async function* ndjsonRows(lines: AsyncIterable<Line>, mapping: ColumnMapping | undefined, maxBytes: number) {
  for await (const line of lines) {
    const row = line.number;
    if (line.tooLong) {
      yield { row, problem: tooLong(row, maxBytes) };
      continue;
    }
    const text = decodeUtf8(row === 1 ? stripBom(line.bytes) : line.bytes);
    if (text === null) {
      yield { row, problem: problem(row, '', 'invalid_encoding', 'line is not valid UTF-8 text') };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { row, problem: problem(row, '', 'invalid_json', `line is not valid JSON: ${jsonFault(error)}`) };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
      yield { row, problem: problem(row, '', 'not_an_object', `line is ${kind}, not a JSON object`) };
      continue;
    }
    if (!mapping) {
      yield { row, body: value as Record<string, unknown> };
      continue;
    }
    const mapped = renameFields(flatten(value), mapping);
    yield 'conflict' in mapped
      ? { row, problem: problem(row, mapped.conflict, 'mapping_conflict', mappingConflict(mapped.conflict)) }
      : { row, body: fromCsvRow(mapped.fields) };
  }
}

/** Renames mapped fields; a row holding a field and the field mapped onto it is ambiguous. */
function renameFields(
  fields: Record<string, string>,
  mapping: ColumnMapping,
): { fields: Record<string, string> } | { conflict: string } {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    const target = mapping.get(name) ?? name;
    if (Object.hasOwn(out, target)) return { conflict: target };
    out[target] = value;
  }
  return { fields: out };
}

const mappingConflict = (field: string) =>
  `the row has both "${field}" and the column mapped to it; keep one of them`;

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * CSV records are found line by line: a record ends at a line break outside quotes (an even number
 * of quote characters so far). Each record is then parsed on its own by csv-parse, so a quoting
 * mistake costs one row instead of derailing the parser for the rest of the file. A quote left
 * open is given MAX_RECORD_LINES lines to close; then its first line is reported and reading
 * restarts on the line after it.
 */
async function* csvRows(lines: AsyncIterable<Line>, mapping: ColumnMapping | undefined, maxBytes: number) {
  let header: string[] | undefined;
  let open: Line[] = [];
  let openBytes = 0;
  const queue: Line[] = [];

  /** A row that cannot be read; when it is the header, the whole file cannot be. */
  const unreadable = (found: RowProblem): FileRow => {
    if (header === undefined) {
      throw new FileFormatError(
        found.field,
        `the header row (line ${found.row}) cannot be read: ${found.reason}`,
      );
    }
    return { row: found.row, problem: found };
  };

  function* process(line: Line): Generator<FileRow> {
    if (open.length === 0) {
      if (line.tooLong) {
        yield unreadable(tooLong(line.number, maxBytes));
        return;
      }
      if (isBlank(line.bytes)) return;
      if (countQuotes(line.bytes) % 2 === 0) {
        yield* record([line]);
        return;
      }
      const alone = quotingError(line.bytes);
      if (alone) {
        yield unreadable(problem(line.number, '', 'bad_quoting', alone));
        return;
      }
      open = [line];
      openBytes = line.bytes.length;
      return;
    }
    if (line.tooLong || open.length >= MAX_RECORD_LINES || openBytes + line.bytes.length > maxBytes) {
      yield* abandonOpen([line]);
      return;
    }
    open.push(line);
    openBytes += line.bytes.length + 1;
    if (countQuotes(line.bytes) % 2 === 1) {
      const lines = open;
      open = [];
      openBytes = 0;
      yield* record(lines);
    }
  }

  /** Reports the first line of a record whose quote never closed and re-reads the lines after it. */
  function* abandonOpen(after: Line[]): Generator<FileRow> {
    const [first, ...rest] = open;
    open = [];
    openBytes = 0;
    queue.unshift(...rest, ...after);
    yield unreadable(problem(first!.number, '', 'bad_quoting', 'a quoted field is never closed'));
  }

  function* record(lines: Line[]): Generator<FileRow> {
    const row = lines[0]!.number;
    const bytes = lines.length === 1 ? lines[0]!.bytes : Buffer.concat(joinLines(lines));
    const text = decodeUtf8(header === undefined ? stripBom(bytes) : bytes);
    if (text === null) {
      yield unreadable(problem(row, badlyEncodedColumn(bytes, header), 'invalid_encoding', NOT_UTF8));
      return;
    }
    let fields: string[];
    try {
      fields = parseRecord(text);
    } catch (error) {
      yield unreadable(problem(row, '', 'bad_quoting', describeCsvError(error)));
      return;
    }
    if (header === undefined) {
      header = checkedHeader(fields, mapping);
      return;
    }
    if (fields.length !== header.length) {
      const reason = `row has ${fields.length} fields; the header has ${header.length}`;
      yield { row, problem: problem(row, '', 'ragged_row', reason) };
      return;
    }
    const columns: Record<string, string> = {};
    header.forEach((name, index) => (columns[name] = fields[index]!));
    yield { row, body: fromCsvRow(columns) };
  }

  const drain = function* (): Generator<FileRow> {
    while (queue.length > 0) yield* process(queue.shift()!);
  };

  for await (const line of lines) {
    queue.push(line);
    yield* drain();
  }
  while (open.length > 0) {
    yield* abandonOpen([]);
    yield* drain();
  }
  if (header === undefined) throw new FileFormatError('', 'the file is empty: a CSV file needs a header row');
}

const NOT_UTF8 = 'row is not valid UTF-8 text (save the file as UTF-8)';

function checkedHeader(fields: string[], mapping: ColumnMapping | undefined): string[] {
  const names = fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (name !== '' && seen.has(name))
      throw new FileFormatError('', `column "${name}" appears twice in the header`);
    seen.add(name);
  }
  try {
    return mapHeader(names, mapping);
  } catch (error) {
    if (error instanceof MappingError) throw new FileFormatError('map', error.message);
    throw error;
  }
}

function parseRecord(text: string): string[] {
  const records = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
  if (records.length !== 1) throw new Error('row holds more than one record');
  return records[0]!;
}

/** Why a single line cannot be a CSV record, unless the reason is a quote that may close later. */
function quotingError(bytes: Buffer): string | null {
  try {
    parseRecord(bytes.toString('utf8'));
    return null;
  } catch (error) {
    if (error instanceof CsvError && error.code === 'CSV_QUOTE_NOT_CLOSED') return null;
    return describeCsvError(error);
  }
}

function describeCsvError(error: unknown): string {
  if (!(error instanceof CsvError)) return 'row is not valid CSV';
  switch (error.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted field is followed by other characters; a quote inside a quoted field must be doubled ("")';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside an unquoted field; quote the whole field and double the inner quote';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    default:
      return 'row is not valid CSV';
  }
}

/** The column holding the bytes that are not UTF-8, found on a lenient decoding of the row. */
function badlyEncodedColumn(bytes: Buffer, header: string[] | undefined): string {
  if (!header) return '';
  try {
    const fields = parseRecord(bytes.toString('utf8'));
    const index = fields.findIndex((field) => field.includes('\ufffd'));
    return index >= 0 ? (header[index] ?? '') : '';
  } catch {
    return '';
  }
}

function joinLines(lines: Line[]): Buffer[] {
  const newline = Buffer.from('\n');
  return lines.flatMap((line, index) => (index === 0 ? [line.bytes] : [newline, line.bytes]));
}

function countQuotes(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x22); at !== -1; at = bytes.indexOf(0x22, at + 1)) count += 1;
  return count;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------

function problem(row: number, field: string, code: UnreadableCode, reason: string): RowProblem {
  return { row, field, code, reason };
}

const tooLong = (row: number, maxBytes: number) =>
  problem(row, '', 'line_too_long', `row is longer than ${maxBytes} bytes`);

/**
 * What JSON.parse found wrong, without the excerpt of the line V8 quotes after an unexpected token
 * (`Unexpected token 'j', "{"email":john.smith"... is not valid JSON`): the report is stored and
 * shown, and the excerpt is a lead's contact details as often as not.
 */
function jsonFault(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/,\s*(\.\.\.)?".*$/s, '');
  return message.length > 160 ? `${message.slice(0, 157)}...` : message;
}
