/**
 * Streams a lead file into leads.raw in batches with constant memory: rows are read as the bytes
 * arrive, and the next batch is only written once the previous one is durable, so a slow log
 * slows the reader (and, over HTTP, the client) instead of filling memory.
 */
import { toRawLead } from '../../schemas/raw-lead';
import type { RawLead } from '../../schemas/lead';
import type { IntakeRefusal } from '../../schemas/intake-records';
import type { ColumnMapping } from './mapping';
import { type FileFormat, readRows, type RowProblem } from './rows';
import { MAX_LISTED_PROBLEMS, type UploadProgress } from './upload-status';

export interface IngestOptions {
  source: AsyncIterable<Buffer>;
  format: FileFormat;
  mapping?: ColumnMapping;
  /** The vendor a row's lead is recorded for. */
  vendorOf(body: Record<string, unknown>): string;
  /**
   * Appends leads to leads.raw; resolves once they are durable, with the leads kept out by their
   * vendor's caps or schedule (by index in `leads`) and why.
   */
  write(leads: RawLead[]): Promise<readonly ({ index: number } & IntakeRefusal)[]>;
  /** Leads per write. */
  batchSize?: number;
  /** After each durable batch: progress bars, status records. */
  onProgress?(progress: UploadProgress): void | Promise<void>;
  /** Every unreadable row, including those past the listed ones. */
  onProblem?(problem: RowProblem): void;
  now?: () => number;
}

export const DEFAULT_BATCH_SIZE = 500;

/** Reads the whole source; throws FileFormatError when the file cannot be read at all. */
export async function ingestFile(options: IngestOptions): Promise<UploadProgress> {
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const progress = {
    rowsRead: 0,
    accepted: 0,
    unreadable: 0,
    refused: 0,
    bytesRead: 0,
    problems: [] as RowProblem[],
  };
  const report = (problem: RowProblem) => {
    if (progress.problems.length < MAX_LISTED_PROBLEMS) progress.problems.push(problem);
    options.onProblem?.(problem);
  };
  const counted = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      progress.bytesRead += chunk.length;
      yield chunk;
    }
  };
  // One batch is written while the next one is read and parsed: at most two batches in memory.
  let inFlight: Promise<void> = Promise.resolve();
  let batch: RawLead[] = [];
  /** The line each lead of the batch came from. */
  let lines: number[] = [];
  const flush = async () => {
    await inFlight;
    const [leads, rows] = [batch, lines];
    [batch, lines] = [[], []];
    inFlight = options.write(leads).then(async (refused) => {
      progress.accepted += leads.length - refused.length;
      progress.refused += refused.length;
      for (const { index, code, message } of refused)
        report({ row: rows[index]!, field: '', code, reason: message });
      await options.onProgress?.(snapshot(progress));
    });
    // Awaited before the next write or at the end; this only keeps an early failure from
    // counting as unhandled in between.
    inFlight.catch(() => undefined);
  };

  for await (const row of readRows(counted(options.source), {
    format: options.format,
    mapping: options.mapping,
  })) {
    progress.rowsRead += 1;
    if ('problem' in row) {
      progress.unreadable += 1;
      report(row.problem);
      continue;
    }
    lines.push(row.row);
    batch.push(
      toRawLead(row.body, { vendorId: options.vendorOf(row.body), channel: 'file', receivedAt: now() }),
    );
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  await inFlight;
  return snapshot(progress);
}

const snapshot = (progress: UploadProgress): UploadProgress => ({
  ...progress,
  problems: [...progress.problems],
});
