import { Redis } from 'ioredis';
import { openIntakeGate } from '../ingress/caps/gate';
import { openCapCounters } from '../ingress/caps/counters';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify';
import { ingestFile } from '../connectors/files/ingest';
import { parseMapping } from '../connectors/files/mapping';
import { FILE_FORMATS, type FileFormat, formatOfFile, type RowProblem } from '../connectors/files/rows';
import { UploadRecorder } from '../connectors/files/upload-recorder';
import {
  failUpload,
  finishUpload,
  REPORT_COLUMNS,
  noProgress,
  startUpload,
  withProgress,
} from '../connectors/files/upload-status';
import { VENDOR_ID_PATTERN } from '../ingress/auth/vendors';
import { RawLeadWriter } from '../ingress/lead-writer';
import { RecordCodec } from '../runtime/codec';
import { openKeyVault } from '../app/privacy/key-vault';
import { retentionSettings } from '../config';
import { platformCatalog, TOPIC } from '../topics/platform';
import { positiveInt } from './options';
import { action, openContext } from './context';

interface IngestOptions {
  format?: FileFormat;
  vendor?: string;
  map?: string;
  batchSize: number;
  report?: string;
  json?: boolean;
}

/** A row's own vendor (source.vendorId), for files that mix vendors. */
function rowVendor(body: Record<string, unknown>): string | undefined {
  const source = body.source;
  const vendorId =
    typeof source === 'object' && source !== null ? (source as Record<string, unknown>).vendorId : undefined;
  return typeof vendorId === 'string' && VENDOR_ID_PATTERN.test(vendorId) ? vendorId : undefined;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('stream a CSV or NDJSON file of leads into leads.raw (constant memory, any size)')
    .argument('<file>', 'the file')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices([...FILE_FORMATS]),
    )
    .option('--vendor <id>', "vendor of every row (default: each row's source.vendorId, else unattributed)")
    .option(
      '--map <mapping>',
      'column mapping for other header names: "Phone=contact.phone,First=contact.firstName"',
    )
    .option('--batch-size <n>', 'leads per durable write', (v) => positiveInt(v, '--batch-size'), 500)
    .option(
      '--report <file>',
      'write every unreadable or refused row (row, field, code, reason) to this CSV file',
    )
    .option('--json', 'print a JSON summary instead of a progress bar')
    .action(
      action(async (file: string, options: IngestOptions) => {
        const format = options.format ?? formatFromName(file);
        const mapping = options.map === undefined ? undefined : parseMapping(options.map);
        if (options.vendor !== undefined && !VENDOR_ID_PATTERN.test(options.vendor)) {
          throw new Error(
            `--vendor "${options.vendor}" is not a vendor id (lower-case letters, digits, dots, dashes)`,
          );
        }
        const size = fs.statSync(file).size;
        const { config, transport, registry, log } = openContext();
        const catalog = platformCatalog(retentionSettings(config));
        await transport.applyTopics(
          [TOPIC.leadsRaw, TOPIC.privacySubjects, TOPIC.uploads].map((t) => catalog.get(t)),
        );
        const vault = await openKeyVault(config, transport, log);
        const codec = new RecordCodec(catalog, registry, {
          subjectPrefix: transport.topicPrefix,
          keys: vault,
        });
        await codec.prepare([TOPIC.leadsRaw, TOPIC.uploads]);
        // The API's caps and schedules, counted with the API processes' when Redis is there.
        const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 }) : null;
        const writer = new RawLeadWriter(
          transport,
          codec,
          vault,
          openIntakeGate(config, openCapCounters(config.LEADFLOW_APP_ID, redis)),
        );
        const recorder = new UploadRecorder(transport, codec);
        const report = options.report ? openReport(options.report) : undefined;
        const bar =
          options.json || !process.stderr.isTTY
            ? undefined
            : new SingleBar({
                format:
                  '{bar} {percentage}% | {rows} rows, {accepted} accepted, {unreadable} unreadable, {refused} refused | {rate} rows/s',
                hideCursor: true,
              });
        let upload = startUpload({
          uploadId: randomUUID(),
          vendorId: options.vendor ?? null,
          fileName: path.basename(file),
          format,
          channel: 'cli',
          now: Date.now(),
        });
        const started = Date.now();
        const recordProgress = recorder.throttled(1000);
        bar?.start(size, 0, { rows: 0, accepted: 0, unreadable: 0, refused: 0, rate: 0 });
        let progress = noProgress();
        try {
          await recorder.record(upload);
          progress = await ingestFile({
            source: fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
            format,
            mapping,
            batchSize: options.batchSize,
            vendorOf: (body) => options.vendor ?? rowVendor(body) ?? 'unattributed',
            write: (leads) => writer.write(leads),
            onProblem: (problem) => report?.write(problem),
            onProgress: async (p) => {
              progress = p;
              const seconds = Math.max(0.001, (Date.now() - started) / 1000);
              bar?.update(p.bytesRead, { ...p, rows: p.rowsRead, rate: Math.round(p.rowsRead / seconds) });
              await recordProgress(withProgress(upload, p, Date.now()));
            },
          });
          upload = finishUpload(upload, progress, Date.now());
        } catch (error) {
          upload = failUpload(upload, progress, (error as Error).message, Date.now());
          throw error;
        } finally {
          bar?.stop();
          await recorder.record(upload).catch(() => undefined);
          await report?.close();
          await vault.stop();
          await redis?.quit().catch(() => undefined);
          await transport.close();
        }
        const seconds = (Date.now() - started) / 1000;
        const summary = {
          upload_id: upload.uploadId,
          file,
          format,
          rows_read: progress.rowsRead,
          accepted: progress.accepted,
          unreadable: progress.unreadable,
          refused: progress.refused,
          bytes: progress.bytesRead,
          seconds,
          rows_per_second: Math.round(progress.rowsRead / seconds),
          mib_per_second: Number((progress.bytesRead / 1024 / 1024 / seconds).toFixed(2)),
          peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
        };
        if (options.json) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        process.stdout.write(
          `upload ${summary.upload_id}: ${summary.rows_read} rows read, ${summary.accepted} accepted into leads.raw, ` +
            `${summary.unreadable} unreadable, ${summary.refused} refused by caps or schedules` +
            `${options.report ? ` (listed in ${options.report})` : ''}; ` +
            `${summary.rows_per_second} rows/s, peak memory ${Math.round(summary.peak_rss_bytes / 1024 / 1024)} MiB\n`,
        );
        for (const problem of progress.problems.slice(0, 10)) {
          process.stdout.write(
            `  row ${problem.row}${problem.field ? ` (${problem.field})` : ''}: ${problem.reason}\n`,
          );
        }
      }),
    );
}

function formatFromName(file: string): FileFormat {
  const format = formatOfFile(file);
  if (!format) throw new Error(`cannot tell the format of ${file} from its name: pass --format csv|ndjson`);
  return format;
}

/** The per-row report as a CSV file, written as problems come (any number of them). */
function openReport(file: string) {
  const out = fs.createWriteStream(file);
  const csv = stringify({ header: true, columns: [...REPORT_COLUMNS] });
  csv.pipe(out);
  return {
    write: (p: RowProblem) => csv.write([p.row, p.field, p.code, p.reason]),
    close: () =>
      new Promise<void>((resolve, reject) => {
        out.on('finish', resolve).on('error', reject);
        csv.end();
      }),
  };
}
