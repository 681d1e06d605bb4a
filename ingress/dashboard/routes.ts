import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { accessHook } from '../auth/access';
import type { TokenCheck } from '../auth/tokens';
import type { VendorDirectory } from '../auth/vendor-directory';
import { dashboardData, type DashboardSource } from './source';

export interface DashboardDeps {
  source: DashboardSource;
  vendors: VendorDirectory;
  verifyToken: (token: string) => TokenCheck;
}

/** The page's files: next to the sources, or from the build (dist/ingress/dashboard) in the project. */
function staticDirectory(): string {
  const here = __dirname;
  const fromBuild = here.endsWith(path.join('dist', 'ingress', 'dashboard'));
  return path.join(fromBuild ? path.resolve(here, '..', '..', '..', 'ingress', 'dashboard') : here, 'static');
}

// Chart.js from node_modules: the page works without internet access.
const CHART_JS = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: path.join(staticDirectory(), 'dashboard.js'), type: 'text/javascript' },
  'dashboard.css': { file: path.join(staticDirectory(), 'dashboard.css'), type: 'text/css' },
  'chart.umd.min.js': { file: CHART_JS, type: 'text/javascript' },
};

/**
 * The built-in dashboard. The page and its scripts are public (they hold no data); the data API
 * behind it, GET /dashboard/data, needs an admin JWT, which the page takes from the URL fragment
 * (`/dashboard#token=...`, never sent to the server or its logs) or asks for.
 */
export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const page = fs.readFileSync(path.join(staticDirectory(), 'index.html'), 'utf8');
  const assets = new Map(
    Object.entries(ASSETS).map(([name, asset]) => [name, { ...asset, body: fs.readFileSync(asset.file) }]),
  );

  await app.register(async (scope) => {
    scope.decorateRequest('principal', null);
    scope.addHook('onRequest', accessHook({ vendors: deps.vendors, verifyToken: deps.verifyToken }));

    scope.get('/dashboard', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(page),
    );

    scope.get<{ Params: { name: string } }>(
      '/dashboard/assets/:name',
      { schema: { hide: true } },
      async (request, reply) => {
        const asset = assets.get(request.params.name);
        if (!asset) return reply.code(404).send({ error: 'not_found', message: 'no such dashboard asset' });
        return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
      },
    );

    scope.get(
      '/dashboard/data',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['operations'],
          summary:
            'Numbers behind /dashboard: funnel, conversion by source and line, scores, latency, leaderboard, vendor scorecard',
          security: [{ bearer: [] }],
        },
      },
      async () => dashboardData(deps.source),
    );
  });
}
