import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ingestFile } from '../../connectors/files/ingest';
import { MappingError, parseMapping } from '../../connectors/files/mapping';
import type { UploadRecorder } from '../../connectors/files/upload-recorder';
import { FILE_FORMATS, FileFormatError, formatOfFile } from '../../connectors/files/rows';
import {
  failUpload,
  finishUpload,
  reportCsv,
  noProgress,
  startUpload,
  type Upload,
  uploadView,
  withProgress,
} from '../../connectors/files/upload-status';
import type { GlobalTable } from '../../runtime/global-table';
import { canSeeVendorData, principalOf } from '../auth/access';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';
import type { RawLeadWriter } from '../lead-writer';

export interface UploadRoutesOptions {
  writer: RawLeadWriter;
  recorder: UploadRecorder;
  uploads: GlobalTable<Upload>;
  maxBytes: number;
  now?: () => number;
}

const query = z.object({
  format: z
    .enum(FILE_FORMATS)
    .optional()
    .meta({ description: 'Default: from the file name (.csv, .ndjson, .jsonl).' }),
  map: z.string().max(4000).optional().meta({
    description: 'Column mapping for other header names, e.g. "Phone=contact.phone,First=contact.firstName".',
  }),
});

const uploadId = z.object({ id: z.uuid() });

const uploadStatus = z.object({
  upload_id: z.string(),
  vendor_id: z.string().nullable(),
  file_name: z.string(),
  format: z.enum(FILE_FORMATS),
  state: z.enum(['receiving', 'done', 'failed', 'interrupted']),
  done: z.boolean(),
  rows_read: z.number().int(),
  accepted: z
    .number()
    .int()
    .meta({ description: 'Rows written to leads.raw (validate may still reject them).' }),
  unreadable: z.number().int().meta({ description: 'Rows skipped as unreadable; see report.csv.' }),
  refused: z
    .number()
    .int()
    .meta({ description: "Readable rows kept out by the vendor's caps or schedule; see report.csv." }),
  bytes_read: z.number().int(),
  error: z.string().nullable(),
  problems_listed: z.number().int(),
  started_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
  report_url: z.string(),
});

const security = [{ bearer: [] }];
const readers = { vendors: true, roles: ['admin', 'agent'], scopes: [SCOPES.uploadsRead] } as const;

export const uploadRoutes: FastifyPluginAsyncZod<UploadRoutesOptions> = async (app, options) => {
  const now = options.now ?? Date.now;
  // Only multipart bodies are read here, so any other content type is turned away (415) before
  // a byte of it is read.
  app.removeAllContentTypeParsers();
  await app.register(multipart, { limits: { fileSize: options.maxBytes, files: 1, fields: 10 } });

  // Answer once this process's table shows the final state, so a status request that follows the
  // answer (whether 202 or an error) sees it.
  const recordFinal = async (upload: Upload) => {
    await options.recorder.record(upload);
    await untilSeen(options.uploads, upload.uploadId, (u) => u.state !== 'receiving');
  };

  const view = (upload: Upload) => ({
    ...uploadView(upload, now()),
    report_url: `/v1/uploads/${upload.uploadId}/report.csv`,
  });

  app.post(
    '/v1/uploads',
    {
      config: { access: { vendors: true }, rateLimit: {} },
      schema: {
        tags: ['uploads'],
        summary: 'Upload a CSV or NDJSON file of leads (multipart/form-data, field "file")',
        description:
          'Streamed: rows are written to leads.raw in batches as they arrive, with constant memory. Rows that ' +
          'cannot be read (bad quoting, ragged rows, invalid JSON, not UTF-8) are skipped and listed in the ' +
          'report; readable rows are validated downstream like API leads. Answers when the whole file is in.',
        security,
        consumes: ['multipart/form-data'],
        querystring: query,
        response: { 202: uploadStatus, ...errorResponses(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind !== 'vendor') throw new Error('uploads are for vendors only');
      const mapping = mappingOf(request.query.map);
      const declared = Number(request.headers['content-length']);
      if (declared > options.maxBytes + MULTIPART_OVERHEAD) throw tooLarge(options.maxBytes);
      const part = await request.file();
      if (!part) throw missingFile();
      const format = request.query.format ?? formatOfFile(part.filename, part.mimetype);
      if (!format) {
        part.file.resume();
        throw new ApiError(
          415,
          'unsupported_file_type',
          `cannot tell the format of "${part.filename}": name it .csv or .ndjson, or pass ?format=csv|ndjson`,
        );
      }
      let upload = startUpload({
        uploadId: randomUUID(),
        vendorId: principal.vendorId,
        fileName: part.filename || 'upload',
        format,
        channel: 'api',
        now: now(),
      });
      await options.recorder.record(upload);
      const recordProgress = options.recorder.throttled(1000);
      let progress = noProgress();
      try {
        progress = await ingestFile({
          source: part.file,
          format,
          mapping,
          vendorOf: () => principal.vendorId,
          write: (leads) => options.writer.write(leads),
          onProgress: (p) => {
            progress = p;
            return recordProgress(withProgress(upload, p, now()));
          },
        });
        if (part.file.truncated) {
          upload = failUpload(upload, progress, `the file is larger than ${options.maxBytes} bytes`, now());
        } else {
          upload = finishUpload(upload, progress, now());
        }
      } catch (error) {
        upload = failUpload(upload, progress, failureOf(error), now());
        await recordFinal(upload);
        if (error instanceof FileFormatError) {
          throw new ApiError(400, 'unreadable_file', error.message, {
            upload_id: upload.uploadId,
            problems: [{ field: error.field || 'file', code: 'unreadable_file', message: error.message }],
          });
        }
        throw error;
      }
      await recordFinal(upload);
      if (part.file.truncated) {
        throw new ApiError(413, 'file_too_large', upload.error!, {
          upload_id: upload.uploadId,
          accepted: upload.accepted,
        });
      }
      return reply.code(202).send(view(upload));
    },
  );

  const findUpload = (request: { params: { id: string } }, principal: ReturnType<typeof principalOf>) => {
    const upload = options.uploads.get(request.params.id);
    // Another vendor's upload is answered like a missing one.
    if (!upload || !canSeeVendorData(principal, upload.vendorId, SCOPES.uploadsRead)) {
      throw new ApiError(404, 'not_found', `no upload ${request.params.id}`);
    }
    return upload;
  };

  app.get(
    '/v1/uploads/:id',
    {
      config: { access: readers, rateLimit: {} },
      schema: {
        tags: ['uploads'],
        summary: "An upload's progress: rows read, accepted, unreadable, done",
        security,
        params: uploadId,
        response: { 200: uploadStatus, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => view(findUpload(request, principalOf(request))),
  );

  app.get(
    '/v1/uploads/:id/report.csv',
    {
      config: { access: readers, rateLimit: {} },
      schema: {
        tags: ['uploads'],
        summary: 'The unreadable rows of an upload as CSV: row (line in the file), field, code, reason',
        security,
        params: uploadId,
        produces: ['text/csv'],
        response: {
          200: z.string().meta({ description: 'CSV with the columns row, field, code, reason.' }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const upload = findUpload(request, principalOf(request));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="upload-${upload.uploadId}-report.csv"`)
        .send(reportCsv(upload.problems));
    },
  );
};

/** Multipart framing around the file: boundaries and part headers. */
const MULTIPART_OVERHEAD = 64 * 1024;

function mappingOf(spec: string | undefined) {
  if (spec === undefined) return undefined;
  try {
    return parseMapping(spec);
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    throw new ApiError(400, 'invalid_request', 'the request has invalid fields', {
      problems: [{ field: 'map', code: 'invalid_value', message: error.message }],
    });
  }
}

const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'file_too_large', `the file is larger than ${maxBytes} bytes`);

const missingFile = () =>
  new ApiError(400, 'invalid_request', 'the request has invalid fields', {
    problems: [{ field: 'file', code: 'required', message: 'send the file as the multipart field "file"' }],
  });

function failureOf(error: unknown): string {
  if (error instanceof FileFormatError) return error.message;
  return 'the upload stopped: the connection or the log failed';
}

/** Resolves once the table holds a row matching `ready` (bounded: the table follows the topic). */
async function untilSeen<V>(table: GlobalTable<V>, key: string, ready: (row: V) => boolean): Promise<void> {
  const current = table.get(key);
  if (current !== undefined && ready(current)) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => done(), 10_000);
    const stop = table.onChange((changed, row) => {
      if (changed === key && row !== null && ready(row)) done();
    });
    function done() {
      clearTimeout(timer);
      stop();
      resolve();
    }
  });
}
