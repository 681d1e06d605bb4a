/**
 * FCC Reassigned Numbers Database (RND, reassigned.us) query results: for each number and the
 * date asked about, whether the number was permanently disconnected since that date.
 *
 * - The answers are "yes", "no" and "no data" (FCC public notice DA 21-1649,
 *   https://docs.fcc.gov/public/attachments/DA-21-1649A1.txt). "Yes" when the date asked about is
 *   the same as or before the number's latest permanent disconnect date, as that notice's guidance
 *   is summarised at https://www.accountsrecovery.net/2022/01/03/fcc-makes-changes-to-reassigned-numbers-database-to-improve-usefulness/;
 *   the date asked about is the consent date or the last time the number was known to reach the
 *   consumer (https://transnexus.com/blog/2020/how-the-rnd-will-work/).
 * - Callers query a file of up to 250,000 numbers at a time; nothing removes a reported number
 *   from the database; the dates its files take are YYYY-MM-DD, MM/DD/YY, MM/DD/YYYY, M/D/YY and
 *   M/D/YYYY, as listed for providers' reports (RND FAQ, https://www.reassigned.us/resources/faq).
 *
 * Those pages do not give the result file's column names: the number, date and answer columns are
 * found by the header names below. Only "yes" adds the number; "no" and "no data" change nothing,
 * since a "no" for one date does not undo a "yes" for an earlier one.
 */
import {
  findColumn,
  headerName,
  isRejected,
  maskPhone,
  nationalNumber,
  readCsvLines,
  SuppressionFileError,
  type SuppressionRow,
} from './rows';

const RND_COLUMNS = {
  number: ['tn', 'telephonenumber', 'phonenumber', 'phone', 'number'],
  date: [
    'date',
    'dateprovided',
    'datequeried',
    'querydate',
    'consentdate',
    'dateofconsent',
    'lastverifieddate',
  ],
  answer: ['result', 'queryresult', 'response', 'answer', 'disconnected', 'reassigned'],
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `now` rejects answers about days that have not ended: the database answers only for past dates. */
export async function* readReassignedResults(
  source: AsyncIterable<Buffer>,
  options: { now: number },
): AsyncGenerator<SuppressionRow> {
  let columns: Record<keyof typeof RND_COLUMNS, number> | undefined;
  for await (const row of readCsvLines(source)) {
    if (isRejected(row)) {
      yield row;
      continue;
    }
    if (columns === undefined) {
      columns = headerColumns(row.fields, row.line);
      continue;
    }
    const [cell, dateCell, answerCell] = [columns.number, columns.date, columns.answer].map(
      (index) => row.fields[index],
    );
    if (cell === undefined || dateCell === undefined || answerCell === undefined) {
      yield { line: row.line, reason: `row has ${row.fields.length} fields, fewer than the header` };
      continue;
    }
    const number = nationalNumber(cell);
    if (number === null) {
      yield { line: row.line, reason: `"${maskPhone(cell)}" is not a 10-digit US phone number` };
      continue;
    }
    const day = parseDay(dateCell);
    if (day === null) {
      yield { line: row.line, reason: `date "${dateCell}" is not a calendar date (YYYY-MM-DD or M/D/YYYY)` };
      continue;
    }
    if (day + DAY_MS > options.now) {
      yield { line: row.line, reason: `date "${dateCell}" is not in the past` };
      continue;
    }
    const answer = ANSWERS[headerName(answerCell)];
    if (answer === undefined) {
      yield { line: row.line, reason: `answer "${answerCell.slice(0, 20)}" is not yes, no or no data` };
      continue;
    }
    yield answer === 'yes'
      ? { line: row.line, number, action: 'add', disconnectedOnOrAfter: day }
      : { line: row.line, number, action: 'none' };
  }
}

const ANSWERS: Record<string, 'yes' | 'no' | undefined> = { yes: 'yes', no: 'no', nodata: 'no' };

function headerColumns(header: string[], line: number): Record<keyof typeof RND_COLUMNS, number> {
  const found = {
    number: findColumn(header, RND_COLUMNS.number),
    date: findColumn(header, RND_COLUMNS.date),
    answer: findColumn(header, RND_COLUMNS.answer),
  };
  const missing = (Object.keys(found) as (keyof typeof found)[]).filter((name) => found[name] === -1);
  if (missing.length > 0) {
    throw new SuppressionFileError(
      `the header (line ${line}) has no ${missing
        .map((name) => `${name} column (one of ${RND_COLUMNS[name].join(', ')})`)
        .join(' and no ')}`,
    );
  }
  return found;
}

/** UTC midnight of a date written as the RND takes it; two-digit years are 20YY (its data begins in 2020). */
function parseDay(text: string): number | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(text);
  const [year, month, day] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : us
      ? [Number(us[3]!.length === 2 ? `20${us[3]}` : us[3]), Number(us[1]), Number(us[2])]
      : [NaN, NaN, NaN];
  const at = Date.UTC(year, month - 1, day);
  const date = new Date(at);
  return Number.isNaN(at) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day ? null : at;
}
