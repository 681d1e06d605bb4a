/**
 * The state of a bulk upload as recorded on the compacted `uploads` topic (schemas/upload.avsc),
 * and how it is shown: the status endpoint's JSON and the per-row report as CSV.
 */
import { stringify } from 'csv-stringify/sync';
import type { FileFormat, RowProblem } from './rows';

export type UploadState = 'receiving' | 'done' | 'failed';

export interface Upload {
  uploadId: string;
  vendorId: string | null;
  fileName: string;
  format: FileFormat;
  channel: 'api' | 'cli';
  state: UploadState;
  rowsRead: number;
  accepted: number;
  unreadable: number;
  /** Readable rows kept out by their vendor's caps or schedule (absent on older records: 0). */
  refused?: number;
  bytesRead: number;
  error: string | null;
  problems: RowProblem[];
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/**
 * Unreadable rows kept on the upload record. The count is always exact; past this many rows a
 * file is broken as a whole, and the record must stay small (every API process holds the table).
 */
export const MAX_LISTED_PROBLEMS = 500;

/** An upload that has seen no receiving process for this long was interrupted (process stopped). */
export const STALE_AFTER_MS = 5 * 60_000;

export interface UploadProgress {
  rowsRead: number;
  accepted: number;
  unreadable: number;
  refused: number;
  bytesRead: number;
  /** The first unreadable or refused rows (at most MAX_LISTED_PROBLEMS). */
  problems: readonly RowProblem[];
}

/** Progress before the first row: what an upload reports if it fails before reading any. */
export const noProgress = (): UploadProgress => ({
  rowsRead: 0,
  accepted: 0,
  unreadable: 0,
  refused: 0,
  bytesRead: 0,
  problems: [],
});

export function startUpload(fields: {
  uploadId: string;
  vendorId: string | null;
  fileName: string;
  format: FileFormat;
  channel: Upload['channel'];
  now: number;
}): Upload {
  return {
    uploadId: fields.uploadId,
    vendorId: fields.vendorId,
    fileName: fields.fileName,
    format: fields.format,
    channel: fields.channel,
    state: 'receiving',
    rowsRead: 0,
    accepted: 0,
    unreadable: 0,
    refused: 0,
    bytesRead: 0,
    error: null,
    problems: [],
    startedAt: fields.now,
    updatedAt: fields.now,
    finishedAt: null,
  };
}

export function withProgress(upload: Upload, progress: UploadProgress, now: number): Upload {
  return {
    ...upload,
    rowsRead: progress.rowsRead,
    accepted: progress.accepted,
    unreadable: progress.unreadable,
    refused: progress.refused,
    bytesRead: progress.bytesRead,
    problems: progress.problems.slice(0, MAX_LISTED_PROBLEMS),
    updatedAt: now,
  };
}

export function finishUpload(upload: Upload, progress: UploadProgress, now: number): Upload {
  return { ...withProgress(upload, progress, now), state: 'done', finishedAt: now };
}

export function failUpload(upload: Upload, progress: UploadProgress, error: string, now: number): Upload {
  return { ...withProgress(upload, progress, now), state: 'failed', error, finishedAt: now };
}

/** What the status endpoint answers; `interrupted` when the receiving process went away. */
export function uploadView(upload: Upload, now: number) {
  const interrupted = upload.state === 'receiving' && now - upload.updatedAt > STALE_AFTER_MS;
  return {
    upload_id: upload.uploadId,
    vendor_id: upload.vendorId,
    file_name: upload.fileName,
    format: upload.format,
    state: interrupted ? ('interrupted' as const) : upload.state,
    done: upload.state !== 'receiving',
    rows_read: upload.rowsRead,
    accepted: upload.accepted,
    unreadable: upload.unreadable,
    refused: upload.refused ?? 0,
    bytes_read: upload.bytesRead,
    error: upload.error,
    problems_listed: upload.problems.length,
    started_at: new Date(upload.startedAt).toISOString(),
    updated_at: new Date(upload.updatedAt).toISOString(),
    finished_at: upload.finishedAt === null ? null : new Date(upload.finishedAt).toISOString(),
  };
}

export const REPORT_COLUMNS = ['row', 'field', 'code', 'reason'] as const;

/** The per-row report: one line per unreadable or refused row (row = line number in the file). */
export function reportCsv(problems: readonly RowProblem[]): string {
  return stringify(
    problems.map((p) => [p.row, p.field, p.code, p.reason]),
    { header: true, columns: [...REPORT_COLUMNS] },
  );
}
