import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify';
import { readLitigatorList } from '../connectors/suppression/litigator';
import { readNationalDncChanges, readNationalDncList } from '../connectors/suppression/national-dnc';
import { readReassignedResults } from '../connectors/suppression/reassigned';
import {
  isRejected,
  type ListRow,
  type RejectedRow,
  type SuppressionRow,
} from '../connectors/suppression/rows';
import { type Blind, doNotContactKey } from '../processors/validate/identities';
import { privacyKey } from '../app/privacy/key-vault';
import { type DoNotContact, SUPPRESSION_LISTS, type SuppressionList } from '../processors/validate/screen';
import { RecordCodec } from '../runtime/codec';
import type { OutgoingRecord } from '../runtime/records';
import { retry } from '../runtime/retry';
import type { Transport } from '../runtime/transport';
import { platformCatalog, TOPIC } from '../topics/platform';
import { printTable } from './topics';
import { action, type CliContext, openContext } from './context';
import { positiveInt } from './options';

async function dncCodec(context: Pick<CliContext, 'transport' | 'registry'>) {
  const catalog = platformCatalog();
  await context.transport.applyTopics([catalog.get(TOPIC.doNotContact)]);
  const codec = new RecordCodec(catalog, context.registry, { subjectPrefix: context.transport.topicPrefix });
  await codec.prepare([TOPIC.doNotContact]);
  return codec;
}

function keyOf(contact: string, blind: Blind): string {
  const key = doNotContactKey(contact, blind);
  if (!key) throw new Error(`"${contact}" is neither a readable phone number nor an email address`);
  return key;
}

/** Blind indexes under the deployment's privacy key. */
function blindFor(context: Pick<CliContext, 'config'>): Blind {
  return privacyKey(context.config).blind;
}

/** The files `dnc import` reads: the list each one fills, and who publishes it (the default source). */
const IMPORT_FORMATS = {
  'ftc-dnc': { list: 'national-dnc', publisher: 'ftc', read: readNationalDncList },
  'ftc-dnc-changes': { list: 'national-dnc', publisher: 'ftc', read: readNationalDncChanges },
  litigator: { list: 'litigator', publisher: 'litigator-list', read: readLitigatorList },
  reassigned: {
    list: 'reassigned',
    publisher: 'fcc-rnd',
    read: (file: AsyncIterable<Buffer>, now: number) => readReassignedResults(file, { now }),
  },
} as const satisfies Record<
  string,
  {
    list: SuppressionList;
    publisher: string;
    read(file: AsyncIterable<Buffer>, now: number): AsyncIterable<SuppressionRow>;
  }
>;

export type ImportFormat = keyof typeof IMPORT_FORMATS;

export type ImportOutcome = 'added' | 'updated' | 'removed' | 'unchanged' | 'kept';

/** Which entry a phone has now, as far as an import decides anything by it. */
export interface Standing {
  list: SuppressionList | 'by-hand';
  /** On the reassigned list: the day the number is known to be disconnected on or after. */
  day?: number;
}

/** Later wins: see planChange. */
const PRECEDENCE: readonly Standing['list'][] = ['reassigned', 'national-dnc', 'litigator', 'by-hand'];

/**
 * What a row does to the entry its phone already has. The screens look a phone up under one key,
 * so lists that share a number share one entry, and the entry kept is the one that blocks most:
 * one added by hand (the consumer asked this company; its own list holds whatever the registries
 * say, so an import never replaces or removes it, and says how many it kept), then a litigator
 * (blocking every lead like the national registry, but only the registry has deletions, which must
 * not lift a litigator's block), then the national registry, then the reassigned list (blocking
 * only consents older than the disconnection). A removal takes out its own list's entry only. On
 * the reassigned list the latest day wins: a disconnection on or after a later day is also one on
 * or after an earlier day, and blocks more consents.
 */
export function planChange(
  list: SuppressionList,
  row: ListRow,
  current: Standing | undefined,
): ImportOutcome {
  if (row.action === 'none') return 'unchanged';
  if (row.action === 'remove') {
    if (current === undefined) return 'unchanged';
    return current.list === list ? 'removed' : 'kept';
  }
  if (current === undefined) return 'added';
  if (current.list === list) {
    const laterDay = (row.disconnectedOnOrAfter ?? 0) > (current.day ?? 0);
    return laterDay ? 'updated' : 'unchanged';
  }
  return PRECEDENCE.indexOf(current.list) > PRECEDENCE.indexOf(list) ? 'kept' : 'updated';
}

/**
 * The standing of every phone on the list, by its entry's key (a blind index: the list never holds
 * the number itself). A national file's area codes hold millions of numbers, so the list is held
 * as ranks and days rather than entries.
 */
class PhoneStandings {
  private readonly ranks = new Map<string, number>();
  private readonly days = new Map<string, number>();

  get(key: string): Standing | undefined {
    const rank = this.ranks.get(key);
    if (rank === undefined) return undefined;
    const list = PRECEDENCE[rank]!;
    return list === 'reassigned' ? { list, day: this.days.get(key) } : { list };
  }

  set(key: string, standing: Standing | null): void {
    this.days.delete(key);
    if (standing === null) {
      this.ranks.delete(key);
      return;
    }
    this.ranks.set(key, PRECEDENCE.indexOf(standing.list));
    if (standing.day !== undefined) this.days.set(key, standing.day);
  }

  apply(key: string, entry: DoNotContact | null): void {
    if (!key.startsWith('phone:')) return;
    if (entry === null) return this.set(key, null);
    const list = (SUPPRESSION_LISTS as readonly string[]).includes(entry.kind)
      ? (entry.kind as SuppressionList)
      : 'by-hand';
    this.set(key, list === 'reassigned' ? { list, day: entry.addedAt } : { list });
  }
}

/** The list as it stands, read record by record rather than loaded whole. */
async function currentStandings(transport: Transport, codec: RecordCodec): Promise<PhoneStandings> {
  const standings = new PhoneStandings();
  // Thrown after following stops, not from the callback, which would end the follower before it is
  // ready; and thrown at all because deciding on a partial list could replace an entry added by hand.
  let unreadable: unknown;
  const follower = transport.follow(TOPIC.doNotContact, async (records) => {
    for (const raw of records) {
      try {
        const { key, value } = await codec.decode<DoNotContact | null>(raw);
        standings.apply(key, value);
      } catch (error) {
        unreadable ??= error;
      }
    }
  });
  await follower.ready;
  await follower.stop();
  if (unreadable !== undefined) {
    const why = unreadable instanceof Error ? unreadable.message : String(unreadable);
    throw new Error(`cannot read the do-not-contact list, so nothing was imported: ${why}`);
  }
  return standings;
}

/** The reason an entry carries, which the screens quote when they reject a lead. */
function listReason(list: SuppressionList, day: number | undefined): string {
  if (list === 'national-dnc') return 'National Do Not Call Registry';
  if (list === 'litigator') return 'known TCPA litigator';
  return `permanently disconnected on or after ${new Date(day!).toISOString().slice(0, 10)} (FCC Reassigned Numbers Database)`;
}

export interface ImportSummary {
  list: SuppressionList;
  source: string;
  /** Rows read, rejected ones included (blank lines and header rows are not rows). */
  read: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  kept: number;
  rejected: number;
  /** The first rejected rows; `onRejected` sees every one. */
  rejections: RejectedRow[];
}

const LISTED_REJECTIONS = 100;

/**
 * Imports a publisher's file into contacts.dnc, a batch of entries and tombstones at a time. The
 * screens read that topic as their do-not-contact table, so imported entries reach their state as
 * `dnc add` does, with the same exactly-once guarantees. A full national list only adds: a number
 * missing from it stays listed, since a truncated download would otherwise unblock registered
 * numbers; the change list's deletions take numbers off.
 */
export async function importSuppressionFile(
  context: Pick<CliContext, 'transport' | 'registry'>,
  file: AsyncIterable<Buffer>,
  options: {
    format: ImportFormat;
    source: string;
    batchSize: number;
    /** Blind indexes: entries are keyed by the number's, never by the number. */
    blind: Blind;
    onRejected?(row: RejectedRow): void;
  },
): Promise<ImportSummary> {
  const now = Date.now();
  const { list, read } = IMPORT_FORMATS[options.format];
  const codec = await dncCodec(context);
  const standings = await currentStandings(context.transport, codec);
  const summary: ImportSummary = {
    list,
    source: options.source,
    read: 0,
    added: 0,
    updated: 0,
    removed: 0,
    unchanged: 0,
    kept: 0,
    rejected: 0,
    rejections: [],
  };
  let batch: OutgoingRecord[] = [];
  const flush = async () => {
    const records = batch;
    batch = [];
    // Upserts and tombstones by key: a batch written twice after an unclear failure leaves the
    // list as written once.
    if (records.length > 0)
      await retry(() => context.transport.produce(records), {
        attempts: 5,
        baseDelayMs: 200,
        maxDelayMs: 5000,
      });
  };
  for await (const row of read(file, now)) {
    summary.read += 1;
    if (isRejected(row)) {
      summary.rejected += 1;
      if (summary.rejections.length < LISTED_REJECTIONS) summary.rejections.push(row);
      options.onRejected?.(row);
      continue;
    }
    const key = keyOf(`+1${row.number}`, options.blind);
    const outcome = planChange(list, row, standings.get(key));
    summary[outcome] += 1;
    if (outcome === 'removed') {
      standings.set(key, null);
      batch.push(codec.encode(TOPIC.doNotContact, key, null));
    } else if (outcome === 'added' || outcome === 'updated') {
      const day = row.action === 'add' ? row.disconnectedOnOrAfter : undefined;
      standings.set(key, { list, day });
      const entry: DoNotContact = {
        key,
        kind: list,
        reason: listReason(list, day),
        source: options.source,
        addedAt: day ?? now,
      };
      batch.push(codec.encode(TOPIC.doNotContact, key, entry));
    }
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  return summary;
}

/** Every rejected row as CSV (line, reason), written as they come, however many. */
function openRejectionReport(file: string) {
  const out = fs.createWriteStream(file);
  const csv = stringify({ header: true, columns: ['line', 'reason'] });
  csv.pipe(out);
  return {
    write: (row: RejectedRow) => csv.write([row.line, row.reason]),
    close: () =>
      new Promise<void>((resolve, reject) => {
        out.on('finish', resolve).on('error', reject);
        csv.end();
      }),
  };
}

const PRINTED_REJECTIONS = 20;

function printSummary(file: string, summary: ImportSummary, reportFile: string | undefined) {
  process.stdout.write(
    `${file} -> ${summary.list} (source ${summary.source}): ${summary.read} rows read, ${summary.added} added, ` +
      `${summary.updated} updated, ${summary.removed} removed, ${summary.unchanged} unchanged, ` +
      `${summary.kept} kept (an entry added by hand or from a stronger list holds the number), ` +
      `${summary.rejected} rejected${reportFile ? ` (all listed in ${reportFile})` : ''}\n`,
  );
  const shown = summary.rejections.slice(0, PRINTED_REJECTIONS);
  for (const row of shown) process.stdout.write(`  line ${row.line}: ${row.reason}\n`);
  if (summary.rejected > shown.length)
    process.stdout.write(`  ... and ${summary.rejected - shown.length} more\n`);
}

export function registerDnc(program: Command): void {
  const dnc = program.command('dnc').description('maintain the do-not-contact list (topic contacts.dnc)');

  dnc
    .command('add')
    .description('block phones or emails; leads with them are rejected as do_not_contact')
    .argument('<contacts...>', 'phone numbers or email addresses')
    .option('--reason <text>', 'why (kept with the entry)')
    .action(
      action(async (contacts: string[], options: { reason?: string }) => {
        const context = openContext();
        const blind = blindFor(context);
        const codec = await dncCodec(context);
        const records = contacts.map((contact) => {
          const key = keyOf(contact, blind);
          const entry: DoNotContact = {
            key,
            kind: key.split(':')[0]!,
            reason: options.reason ?? null,
            source: 'cli',
            addedAt: Date.now(),
          };
          return codec.encode(TOPIC.doNotContact, key, entry);
        });
        await context.transport.produce(records);
        for (const contact of contacts) process.stdout.write(`blocked ${contact}\n`);
        await context.transport.close();
      }),
    );

  dnc
    .command('remove')
    .description('unblock phones or emails')
    .argument('<contacts...>', 'phone numbers or email addresses')
    .action(
      action(async (contacts: string[]) => {
        const context = openContext();
        const blind = blindFor(context);
        const codec = await dncCodec(context);
        await context.transport.produce(
          contacts.map((c) => codec.encode(TOPIC.doNotContact, keyOf(c, blind), null)),
        );
        for (const contact of contacts) process.stdout.write(`unblocked ${contact}\n`);
        await context.transport.close();
      }),
    );

  dnc
    .command('import')
    .description(
      'import a publisher file (National DNC full or change list, litigator list, FCC reassigned-numbers results); rejected rows are reported',
    )
    .addOption(
      new Option(
        '--format <format>',
        'ftc-dnc: National DNC full list; ftc-dnc-changes: its change list; litigator: CSV with a phone column; reassigned: FCC Reassigned Numbers Database results',
      )
        .choices(Object.keys(IMPORT_FORMATS))
        .makeOptionMandatory(),
    )
    .argument('<file>', 'the file, unzipped')
    .option('--source <name>', 'recorded on each entry (default: publisher:file name)')
    .option('--batch-size <n>', 'entries per durable write', (v) => positiveInt(v, '--batch-size'), 5000)
    .option('--report <file>', 'write every rejected row (line, reason) to this CSV file')
    .option('--json', 'print a JSON summary')
    .action(
      action(
        async (
          file: string,
          options: {
            format: ImportFormat;
            source?: string;
            batchSize: number;
            report?: string;
            json?: boolean;
          },
        ) => {
          const source =
            options.source ?? `${IMPORT_FORMATS[options.format].publisher}:${path.basename(file)}`;
          const report = options.report ? openRejectionReport(options.report) : undefined;
          const context = openContext();
          try {
            const summary = await importSuppressionFile(
              context,
              fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
              {
                format: options.format,
                source,
                batchSize: options.batchSize,
                blind: blindFor(context),
                onRejected: report?.write,
              },
            );
            if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
            else printSummary(file, summary, options.report);
          } finally {
            await report?.close();
            await context.transport.close();
          }
        },
      ),
    );

  dnc
    .command('list')
    .description('show the current list')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const context = openContext();
        const codec = await dncCodec(context);
        const current = new Map<string, DoNotContact>();
        for (const raw of await context.transport.read(TOPIC.doNotContact)) {
          const { key, value } = await codec.decode<DoNotContact | null>(raw);
          if (value === null) current.delete(key);
          else current.set(key, value);
        }
        const entries = [...current.values()].sort((a, b) => a.key.localeCompare(b.key));
        if (options.json) process.stdout.write(`${JSON.stringify(entries)}\n`);
        else
          printTable(
            ['CONTACT', 'LIST', 'REASON', 'SOURCE', 'ADDED'],
            entries.map((e) => [e.key, e.kind, e.reason ?? '', e.source, new Date(e.addedAt).toISOString()]),
          );
        await context.transport.close();
      }),
    );
}
