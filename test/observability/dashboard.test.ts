/**
 * The built-in dashboard in a real browser (Debian's chromium, driven by playwright-core) against
 * a running leadflow with data: every chart must render with data, the data API must refuse
 * callers without an admin token, and a screenshot is taken (docs/dashboard.png for docs/operations.md with
 * UPDATE_SCREENSHOTS=1).
 */
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type RunningLeadflow, startLeadflowWithData } from './leadflow';
import { toolGate } from './tools';

jest.setTimeout(300_000);

const CHARTS = ['funnel', 'bySource', 'byLine', 'scores', 'leaderboard', 'latency'];
// The picture in docs/operations.md is refreshed on request only, so a test run leaves the checkout clean.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '..', '..', 'docs', 'dashboard.png')
    : path.join(os.tmpdir(), 'leadflow-dashboard.png');

const gate = toolGate('chromium');

(gate.run ? describe : describe.skip)('the built-in dashboard', () => {
  let leadflow: RunningLeadflow | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (gate.reason) throw new Error(gate.reason);
    leadflow = await startLeadflowWithData({ leads: 80 });
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: gate.path, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await leadflow?.stop();
  });

  test('its data API needs an admin token', async () => {
    const anonymous = await fetch(`${leadflow!.base}/dashboard/data`);
    expect(anonymous.status).toBe(401);
    const page = await fetch(`${leadflow!.base}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('chart.umd.min.js');
    const chartJs = await fetch(`${leadflow!.base}/dashboard/assets/chart.umd.min.js`);
    expect(chartJs.status).toBe(200);
    expect(await fetch(`${leadflow!.base}/dashboard/assets/..%2Fsource.ts`)).toHaveProperty('status', 404);
  });

  test('without a token the page asks for one', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(`${leadflow!.base}/dashboard`);
      await page.waitForSelector('#login:not([hidden])');
      expect(await page.textContent('#status')).toContain('admin token');
    } finally {
      await page.close();
    }
  });

  test('every chart renders with data, and a screenshot of the page is taken', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      // The token travels in the fragment: the page keeps it and removes it from the address.
      await page.goto(`${leadflow!.base}/dashboard#token=${leadflow!.adminToken}`);
      await page.waitForFunction(
        (ids) => {
          const charts = (globalThis as unknown as { leadflowCharts?: Record<string, unknown> })
            .leadflowCharts;
          return ids.every((id) => charts?.[id] !== undefined);
        },
        CHARTS,
        { timeout: 30_000 },
      );
      expect(page.url()).not.toContain('token=');
      const rendered = await page.evaluate((ids) => {
        // The browser's shapes, as far as this check needs them (the test is compiled without DOM types).
        type Canvas = {
          width: number;
          height: number;
          getContext(
            kind: '2d',
          ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
        };
        type ChartLike = {
          data: { labels: unknown[]; datasets: { data: number[] }[] };
          canvas: Canvas;
        };
        const charts = (globalThis as unknown as { leadflowCharts: Record<string, ChartLike> })
          .leadflowCharts;
        return ids.map((id) => {
          const chart = charts[id]!;
          const values = chart.data.datasets.flatMap((d) => d.data);
          const { width, height } = chart.canvas;
          const pixels = chart.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
          return {
            id,
            labels: chart.data.labels.length,
            total: values.reduce((a, b) => a + Number(b), 0),
            paintedShare: painted / (width * height),
          };
        });
      }, CHARTS);
      for (const chart of rendered) {
        expect(chart).toEqual(
          expect.objectContaining({ id: chart.id, labels: expect.any(Number), total: expect.any(Number) }),
        );
        expect(chart.labels).toBeGreaterThan(0);
        expect(chart.total).toBeGreaterThan(0);
        // Bars, axes and labels: a blank canvas paints nothing.
        expect(chart.paintedShare).toBeGreaterThan(0.02);
      }
      const funnel = rendered.find((c) => c.id === 'funnel')!;
      expect(funnel.labels).toBeGreaterThanOrEqual(5);
      // The vendors table is filled in the same refresh as the charts.
      expect(await page.locator('#vendors tbody tr').count()).toBeGreaterThan(0);
      expect(await page.textContent('#status')).toContain('updated');
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await page.close();
    }
  });
});
