/**
 * What a vendor may read about itself with its API key: its scorecard. Only its own leads, and
 * only what concerns it (volume, rejections, how its leads did with agents, what it was paid),
 * never what the platform earned on them.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Queryable } from '../../sinks/postgres/database';
import { vendorScorecard } from '../../sinks/postgres/scorecard';
import { principalOf } from '../auth/access';
import { errorResponses } from '../errors';
import { rangeOf, rangeQuery, readModels } from './analytics';

const rate = z.number().nullable().meta({ description: '0..1; null when there is nothing to divide by.' });

const figures = z.object({
  leads: z.number().int().meta({ description: 'Received in the range.' }),
  rejected: z.number().int(),
  reject_rate: z.number(),
  rejections: z.array(z.object({ code: z.string(), leads: z.number().int() })).meta({
    description: 'Rejected leads per reason, most first; a lead with several reasons counts under each.',
  }),
  accepted: z.number().int().meta({ description: 'Taken by an agent.' }),
  contacted: z.number().int().meta({ description: 'Reported contacted, quoted or sold.' }),
  sold: z.number().int(),
  contact_rate: rate.meta({ description: 'contacted / accepted.' }),
  sale_rate: rate.meta({ description: 'sold / accepted.' }),
  returned: z.number().int(),
  return_rate: rate.meta({ description: 'Leads returned / leads sold on to an agent or buyer.' }),
  paid_usd: z.number().meta({ description: 'What the vendor was paid for these leads, less chargebacks.' }),
  paid_per_lead_usd: z.number().meta({ description: 'paid_usd over the leads received.' }),
});

const scorecardView = z.object({
  vendor_id: z.string(),
  totals: figures.nullable().meta({ description: 'Null when no lead was received in the range.' }),
  campaigns: z.array(figures.extend({ campaign: z.string().nullable() })),
});

export const vendorRoutes: FastifyPluginAsyncZod<{ reads: Queryable | null }> = async (app, { reads }) => {
  app.get(
    '/v1/vendors/me/scorecard',
    {
      config: { access: { vendors: true }, rateLimit: {} },
      schema: {
        tags: ['vendors'],
        summary: "The calling vendor's scorecard: volume, rejections, contact, sale and return rates, pay",
        description:
          'Leads are counted by the UTC day they were received (from/to, inclusive); totals, then each campaign.',
        security: [{ bearer: [] }],
        querystring: rangeQuery,
        response: { 200: scorecardView, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'vendor') throw new Error('the scorecard route is for vendors only');
      const db = readModels(reads);
      return vendorScorecard(db, principal.vendorId, rangeOf(request.query.from, request.query.to));
    },
  );
};
