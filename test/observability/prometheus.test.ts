/**
 * Every PromQL expression of every Grafana dashboard in deploy/grafana/dashboards, run by a real
 * Prometheus (the Debian package) against a running leadflow that has had leads through every
 * stage: each must parse, and each must return data unless it is listed below with the reason.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/harness';
import { type RunningLeadflow, startLeadflowWithData } from './leadflow';
import { toolGate } from './tools';

jest.setTimeout(600_000);

const DASHBOARDS = path.join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards');
const COMPOSE_PROMETHEUS_CONFIG = path.join(__dirname, '..', '..', 'deploy', 'prometheus', 'prometheus.yml');

/** Panels whose query has no data in a short test run, and why. Keyed by dashboard uid / panel title. */
const NO_DATA_IN_A_SHORT_RUN: Record<string, string> = {
  'leadflow-system/Retries (per second)':
    'retries happen only after a retryable failure (a service briefly down); nothing fails here',
  'leadflow-system/Commit failures in range': 'no commit fails (fencing, broker errors) in a healthy run',
  'leadflow-system/Replayed records in range': 'nothing is replayed in this run',
  'leadflow-routing/Unroutable leads by reason':
    'the test agents are licensed everywhere, so every lead routes',
  'leadflow-routing/Rewards paid (USD) by reason':
    'money is paid only as partner commissions on referred leads that sold; these leads come from vendors',
};

interface Query {
  panel: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  return fs
    .readdirSync(DASHBOARDS)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8')) as {
        uid: string;
        panels: { title: string; targets?: { expr: string }[] }[];
      };
      return dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({
          panel: `${dashboard.uid}/${panel.title}`,
          expr: target.expr,
        })),
      );
    });
}

/** Grafana's built-in variables, as a dashboard over the last hour would fill them in. */
const withGrafanaVariables = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$__interval', '15s');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

const gate = toolGate('prometheus');

(gate.run ? describe : describe.skip)('Grafana dashboards against a real Prometheus', () => {
  let leadflow: RunningLeadflow | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = '';
  let dir = '';

  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryResult;
  };
  const hasData = (result: QueryResult) =>
    (result.data?.result ?? []).some((sample) => !Number.isNaN(Number(sample.value[1])));

  beforeAll(async () => {
    if (gate.reason) throw new Error(gate.reason);
    leadflow = await startLeadflowWithData({ leads: 80 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-prometheus-'));
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: leadflow',
        '    static_configs:',
        `      - targets: ['${new URL(leadflow.base).host}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      gate.path!,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      async () => {
        try {
          return hasData(await query('up{job="leadflow"} == 1'));
        } catch {
          return false;
        }
      },
      60_000,
      'prometheus scrapes leadflow',
    );
    // Counters must move while Prometheus watches, or every rate() is flat: a second batch of
    // leads, and a record no stage can read (dead letters).
    await leadflow.sendLeads(40);
    await leadflow.sendUnreadableRecord();
    // A few more scrapes after the last change.
    await new Promise((resolve) => setTimeout(resolve, 4000));
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await new Promise((resolve) => prometheus!.once('exit', resolve));
    }
    await leadflow?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the compose Prometheus config is valid', () => {
    const promtool = toolGate('promtool', 'prometheus');
    const check = spawnSync(promtool.path ?? 'promtool', ['check', 'config', COMPOSE_PROMETHEUS_CONFIG], {
      encoding: 'utf8',
    });
    expect(check.stdout + check.stderr).toContain('SUCCESS');
  });

  test('every dashboard expression parses and returns data', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(40);
    const failures: string[] = [];
    const empty: string[] = [];
    for (const { panel, expr } of queries) {
      const result = await query(withGrafanaVariables(expr));
      if (result.status !== 'success') failures.push(`${panel}: ${expr}: ${result.error}`);
      else if (!hasData(result) && !(panel in NO_DATA_IN_A_SHORT_RUN)) empty.push(`${panel}: ${expr}`);
    }
    expect({ failures, empty }).toEqual({ failures: [], empty: [] });
  });

  test('the exceptions name real panels', () => {
    const panels = new Set(dashboardQueries().map((q) => q.panel));
    for (const panel of Object.keys(NO_DATA_IN_A_SHORT_RUN)) expect(panels).toContain(panel);
  });

  test('the funnel in Prometheus matches what was sent', async () => {
    const received = await query('sum(leadflow_leads_total{stage="received"})');
    // Every generated lead, once: the unreadable record never becomes a lead.
    expect(Number(received.data!.result[0]!.value[1])).toBe(leadflow!.counts.leads);
    const lagging = await query('leadflow_consumer_lag_records > 0');
    expect(lagging.data!.result.map((r) => r.metric)).toEqual([]);
  });
});
