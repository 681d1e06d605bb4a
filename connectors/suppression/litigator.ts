/**
 * Litigator lists: the phone numbers of known TCPA plaintiffs and serial litigants that scrub
 * vendors sell (https://textp2p.zendesk.com/hc/en-us/articles/38540249031188-TCPA-Litigator-Blacklist-Scrub,
 * https://www.leadgen-economy.com/blog/litigator-scrubbing-services-comparison). No vendor
 * publishes a file layout; their exports are CSV with a header row and a phone column, next to
 * names and case details that are not kept here. Numbers are US 10-digit numbers with the
 * punctuation stripped, as tcpalitigatorlist.com's import rules say
 * (https://wikis.supportdatabases.com/books/tcpalitigatorlistcom-faq/export/markdown). A file
 * whose first row is already a number is read as a bare list, one number per line.
 */
import {
  findColumn,
  isRejected,
  maskPhone,
  nationalNumber,
  readCsvLines,
  SuppressionFileError,
  type SuppressionRow,
} from './rows';

const LITIGATOR_PHONE_COLUMNS = [
  'phone',
  'phonenumber',
  'telephone',
  'telephonenumber',
  'number',
  'tn',
  'mobile',
  'cell',
  'cellphone',
] as const;

export async function* readLitigatorList(source: AsyncIterable<Buffer>): AsyncGenerator<SuppressionRow> {
  let column: number | undefined;
  for await (const row of readCsvLines(source)) {
    if (isRejected(row)) {
      yield row;
      continue;
    }
    if (column === undefined) {
      column = findColumn(row.fields, LITIGATOR_PHONE_COLUMNS);
      if (column !== -1) continue;
      if (nationalNumber(row.fields[0]!) === null) {
        throw new SuppressionFileError(
          `line ${row.line} has no phone column (one of ${LITIGATOR_PHONE_COLUMNS.join(', ')}) and is not a phone number`,
        );
      }
      column = 0;
    }
    const cell = row.fields[column];
    if (cell === undefined) {
      yield { line: row.line, reason: `row has no field ${column + 1}, the phone column` };
      continue;
    }
    const number = nationalNumber(cell);
    yield number === null
      ? { line: row.line, reason: `"${maskPhone(cell)}" is not a 10-digit US phone number` }
      : { line: row.line, number, action: 'add' };
  }
}
