/**
 * The National Do Not Call Registry files a seller downloads for the area codes it subscribes to
 * at telemarketing.donotcall.gov, in their flat-text form (unzipped; the XML form is not read).
 *
 * Full list: every registered number of those area codes. The FTC's telemarketer access page
 * (https://webarchive.library.unt.edu/eot2008/20090118211551/http://www.ftc.gov/opa/2003/08/tmkraccessinfo.htm)
 * describes one telephone number per line; the Call List Scrubber download guide
 * (http://www.dontphoneme.com/howtoguides/downloadingdnc.html) an area code and the number on
 * each line, separated by a comma. Both are read: `4155550101` and `415,5550101`.
 *
 * Change list: the numbers added to or deleted from the registry since the organisation's last
 * download, as comma-separated records of several data items (both pages above), which neither
 * page names. The number is read from the leading field(s) as in the full list and the change from
 * a field saying A or D (or add, added, addition, delete, deleted, deletion); other items, such as
 * a date, are ignored, and a row with no change or with both is rejected. Check this reading
 * against the first change list you download.
 */
import { isRejected, maskPhone, readCsvLines, type SuppressionRow } from './rows';

/** Full list: every row adds its number. */
export async function* readNationalDncList(source: AsyncIterable<Buffer>): AsyncGenerator<SuppressionRow> {
  for await (const row of readCsvLines(source)) {
    if (isRejected(row)) {
      yield row;
      continue;
    }
    const found = leadingNumber(row.fields);
    if (found === null) yield notANumber(row.line, row.fields);
    else if (found.rest.length > 0)
      yield {
        line: row.line,
        reason: `line has ${row.fields.length} fields; a full-list line holds one number`,
      };
    else yield { line: row.line, number: found.number, action: 'add' };
  }
}

/** Change list: each row adds or removes its number. */
export async function* readNationalDncChanges(source: AsyncIterable<Buffer>): AsyncGenerator<SuppressionRow> {
  for await (const row of readCsvLines(source)) {
    if (isRejected(row)) {
      yield row;
      continue;
    }
    const found = leadingNumber(row.fields);
    if (found === null) {
      yield notANumber(row.line, row.fields);
      continue;
    }
    const changes = new Set(
      found.rest.map((field) => CHANGES[field.toLowerCase()]).filter((c) => c !== undefined),
    );
    if (changes.size === 1) {
      yield { line: row.line, number: found.number, action: [...changes][0]! };
    } else {
      const reason = changes.size === 0 ? 'no add or delete flag (A or D)' : 'both an add and a delete flag';
      yield { line: row.line, reason };
    }
  }
}

const CHANGES: Record<string, 'add' | 'remove' | undefined> = {
  a: 'add',
  add: 'add',
  added: 'add',
  addition: 'add',
  d: 'remove',
  delete: 'remove',
  deleted: 'remove',
  deletion: 'remove',
};

/** The number at the start of a record, as 10 digits or as a 3-digit area code and 7 digits. */
function leadingNumber(fields: string[]): { number: string; rest: string[] } | null {
  const [first = '', second = ''] = fields;
  if (/^\d{10}$/.test(first)) return { number: first, rest: fields.slice(1) };
  if (/^\d{3}$/.test(first) && /^\d{7}$/.test(second))
    return { number: first + second, rest: fields.slice(2) };
  return null;
}

const notANumber = (line: number, fields: string[]) => ({
  line,
  reason: `"${maskPhone(fields.join(','))}" is not a registry number (a 3-digit area code and 7 digits, or 10 digits)`,
});
