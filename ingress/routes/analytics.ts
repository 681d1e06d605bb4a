/**
 * The analytics reports over HTTP, the same ones `leadflow report` prints: JSON rows, or CSV with
 * `format=csv`. Admins with analytics:read only: the figures span every vendor.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkRange, type DayRange, parseDay } from '../../sinks/postgres/analytics';
import type { Queryable } from '../../sinks/postgres/database';
import { toCsv } from '../../sinks/postgres/read-models';
import { REPORT_NAMES, REPORTS } from '../../sinks/postgres/reports';
import { SCOPES } from '../auth/tokens';
import { ApiError, errorResponses } from '../errors';

const day = (name: string) =>
  z
    .string()
    .refine(
      (value) => {
        try {
          parseDay(value, name);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a date as YYYY-MM-DD' },
    )
    .optional();

const params = z.object({ report: z.enum(REPORT_NAMES as [string, ...string[]]) });
/** The UTC days of receipt a report covers, each checked here and both together by `rangeOf`. */
export const rangeQuery = z.object({ from: day('from'), to: day('to') });
const access = { roles: ['admin'], scopes: [SCOPES.analyticsRead] } as const;
const security = [{ bearer: [] }];
const description =
  'Leads are counted by the UTC day they were received (from/to, inclusive); agents, accuracy and rewards cover all time. ' +
  'scorecard and scorecard-campaigns: per vendor (and campaign), rejections, contact and sale rates, cost, revenue, margin and returns of its leads. ' +
  'buyers: per ping-post buyer, leads bought (exclusive, shared), revenue, average price, credits and net revenue, ' +
  'by the UTC day bought; without from and to, the last 30 days.';

/** The range a request asks for; one that ends before it starts is the caller's mistake (400). */
export function rangeOf(from?: string, to?: string): DayRange {
  try {
    return checkRange({ from, to });
  } catch (error) {
    throw new ApiError(400, 'invalid_request', (error as Error).message);
  }
}

/** The read models, or a 503 in a process that has none. */
export function readModels(reads: Queryable | null): Queryable {
  if (!reads)
    throw new ApiError(503, 'read_model_unavailable', 'read models are not configured in this process');
  return reads;
}

export const analyticsRoutes: FastifyPluginAsyncZod<{ reads: Queryable | null }> = async (app, { reads }) => {
  const rowsOf = async (report: string, from?: string, to?: string) =>
    REPORTS[report]!(readModels(reads), rangeOf(from, to));

  app.get(
    '/v1/analytics/:report',
    {
      config: { access, rateLimit: {} },
      schema: {
        tags: ['analytics'],
        summary: `A report as JSON rows: ${REPORT_NAMES.join(', ')}`,
        description,
        security,
        params,
        querystring: rangeQuery,
        response: {
          200: z.object({ report: z.string(), rows: z.array(z.looseObject({})) }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const rows = await rowsOf(request.params.report, from, to);
      return { report: request.params.report, rows: rows as Record<string, unknown>[] };
    },
  );

  app.get(
    '/v1/analytics/:report/csv',
    {
      config: { access, rateLimit: {} },
      schema: {
        tags: ['analytics'],
        summary: 'A report as CSV',
        description,
        security,
        params,
        querystring: rangeQuery,
        response: {
          200: z.string().meta({ description: 'CSV with a header line.' }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      const rows = await rowsOf(request.params.report, from, to);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.report}.csv"`)
        .send(toCsv(rows));
    },
  );
};
