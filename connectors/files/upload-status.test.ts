import { parse } from 'csv-parse/sync';
import {
  finishUpload,
  MAX_LISTED_PROBLEMS,
  reportCsv,
  STALE_AFTER_MS,
  startUpload,
  uploadView,
  withProgress,
} from './upload-status';
import type { RowProblem } from './rows';

const problem = (row: number): RowProblem => ({
  row,
  field: 'notes',
  code: 'bad_quoting',
  reason: 'a "quote", then a comma',
});

test('an upload lists at most MAX_LISTED_PROBLEMS rows but counts them all', () => {
  const upload = startUpload({
    uploadId: 'u1',
    vendorId: 'acme',
    fileName: 'f.csv',
    format: 'csv',
    channel: 'api',
    now: 0,
  });
  const problems = Array.from({ length: MAX_LISTED_PROBLEMS + 7 }, (_, i) => problem(i + 2));
  const done = finishUpload(
    upload,
    { rowsRead: 900, accepted: 393, unreadable: problems.length, refused: 0, bytesRead: 10, problems },
    5,
  );
  expect(done.problems).toHaveLength(MAX_LISTED_PROBLEMS);
  expect(uploadView(done, 10)).toMatchObject({
    state: 'done',
    done: true,
    unreadable: MAX_LISTED_PROBLEMS + 7,
    accepted: 393,
  });
});

test('an upload whose receiver stopped reporting shows as interrupted', () => {
  const upload = withProgress(
    startUpload({ uploadId: 'u1', vendorId: null, fileName: 'f.csv', format: 'csv', channel: 'cli', now: 0 }),
    { rowsRead: 1, accepted: 1, unreadable: 0, refused: 0, bytesRead: 1, problems: [] },
    1000,
  );
  expect(uploadView(upload, 1000 + STALE_AFTER_MS - 1).state).toBe('receiving');
  expect(uploadView(upload, 1000 + STALE_AFTER_MS + 1)).toMatchObject({ state: 'interrupted', done: false });
});

test('the report is CSV a spreadsheet reads back, one line per unreadable row', () => {
  const rows = parse(reportCsv([problem(7), problem(12)]), { columns: true }) as Record<string, string>[];
  expect(rows).toEqual([
    { row: '7', field: 'notes', code: 'bad_quoting', reason: 'a "quote", then a comma' },
    { row: '12', field: 'notes', code: 'bad_quoting', reason: 'a "quote", then a comma' },
  ]);
});
