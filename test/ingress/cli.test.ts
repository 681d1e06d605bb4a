/**
 * The operator commands against a running `leadflow start`, as separate processes sharing one
 * log: vendors and their keys, tokens, file ingest and replay.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { runCli, spawnCli } from '../support/cli';
import { eventually, transportsUnderTest } from '../support/harness';
import { bearer, get, type Json, post } from './support';

jest.setTimeout(300_000);

const cliJson = (args: string[], env: Record<string, string>): Json => {
  const result = runCli(args, env);
  if (result.status !== 0) throw new Error(`leadflow ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Json;
};

test('start refuses to serve without a JWT secret unless in development mode on the embedded log', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-nosecret-'));
  try {
    const embedded = runCli(['start'], { LEADFLOW_DATA_DIR: dataDir, PORT: '0' });
    expect(embedded.status).toBe(1);
    expect(embedded.stderr).toMatch(/LEADFLOW_JWT_SECRET is not set.*--dev/);
    const kafka = runCli(['start', '--dev'], {
      LEADFLOW_TRANSPORT: 'kafka',
      LEADFLOW_DATA_DIR: dataDir,
      PORT: '0',
    });
    expect(kafka.status).toBe(1);
    expect(kafka.stderr).toContain('LEADFLOW_JWT_SECRET is not set');
    const short = runCli(['start'], { LEADFLOW_DATA_DIR: dataDir, LEADFLOW_JWT_SECRET: 'short' });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('LEADFLOW_JWT_SECRET');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the new commands have --help', () => {
  for (const args of [
    ['vendors', 'create'],
    ['vendors', 'rotate'],
    ['tokens', 'issue'],
    ['ingest'],
    ['replay'],
  ]) {
    const result = runCli([...args, '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: leadflow/);
  }
});

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`operator commands: ${choice.kind}`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-cli-'));
    const harness = choice.gate.run ? choice.create() : undefined;
    const port = 20000 + Math.floor(Math.random() * 20000);
    const base = `http://127.0.0.1:${port}`;
    // Development mode on the embedded log; a configured secret on Kafka, as in production.
    const dev = choice.kind === 'embedded' ? ['--dev'] : [];
    const env: Record<string, string> = {
      ...(choice.kind === 'kafka' ? harness!.childEnv() : { LEADFLOW_TRANSPORT: 'embedded' }),
      ...(choice.kind === 'kafka'
        ? { LEADFLOW_JWT_SECRET: 'a-secret-for-the-kafka-cli-test-0123456789' }
        : {}),
      LEADFLOW_DATA_DIR: dataDir,
      LEADFLOW_APP_ID: harness?.prefix ?? 'leadflow',
      PORT: String(port),
    };
    let server: ChildProcess | undefined;

    beforeAll(async () => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
      server = spawnCli(['start', '--no-processors', ...dev], env);
      await eventually(
        async () => {
          try {
            return (await fetch(`${base}/readyz`)).ok;
          } catch {
            return false;
          }
        },
        90_000,
        'the server',
      );
    });

    afterAll(async () => {
      if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((resolve) => server!.once('exit', resolve));
      }
      await harness?.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('a vendor created, rotated and disabled by the CLI is seen by the running server', async () => {
      const created = cliJson(['vendors', 'create', '--name', 'Acme Leads', '--json'], env);
      expect(created).toEqual({
        vendor_id: expect.stringMatching(/^acme-leads-[0-9a-f]{6}$/),
        api_key: expect.stringMatching(/^lfk_/),
      });
      const submit = (key: string) => post(base, '/v1/leads', sampleLeadBody(), bearer(key));
      await eventually(
        async () => (await submit(created.api_key)).status === 202,
        30_000,
        'the new key to work',
      );

      const listed = runCli(['vendors', 'list', '--json'], env);
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ vendor_id: created.vendor_id, name: 'Acme Leads', status: 'active' }),
      ]);
      expect(listed.stdout).not.toContain(created.api_key.slice(12));

      const rotated = cliJson(
        ['vendors', 'rotate', created.vendor_id, '--grace-minutes', '0', '--json'],
        env,
      );
      await eventually(
        async () => (await submit(created.api_key)).status === 401,
        30_000,
        'the old key to stop',
      );
      expect((await submit(rotated.api_key)).status).toBe(202);

      expect(runCli(['vendors', 'disable', created.vendor_id], env).status).toBe(0);
      await eventually(
        async () => (await submit(rotated.api_key)).status === 403,
        30_000,
        'the vendor to be disabled',
      );
      expect(runCli(['vendors', 'create', '--name', 'x', '--id', created.vendor_id], env).stderr).toContain(
        'exists',
      );
    });

    test('ingest streams a vendor file with a column mapping; the server shows the upload; replay re-runs it', async () => {
      const file = path.join(dataDir, 'export.csv');
      fs.writeFileSync(
        file,
        'First,Last,Phone,contact.state,contact.zip,line\n' +
          'Jane,Doe,4155550100,CA,94103,auto\n' +
          'Bo,Chan,4155550102\n' +
          'Cy,Diaz,4155550103,CA,94103,home\n',
      );
      const reportFile = path.join(dataDir, 'report.csv');
      const summary = cliJson(
        [
          'ingest',
          file,
          '--vendor',
          'files-inc',
          '--map',
          'First=contact.firstName,Last=contact.lastName,Phone=contact.phone',
          '--report',
          reportFile,
          '--json',
        ],
        env,
      );
      expect(summary).toMatchObject({
        rows_read: 3,
        accepted: 2,
        unreadable: 1,
        peak_rss_bytes: expect.any(Number),
      });
      expect(parse(fs.readFileSync(reportFile), { columns: true })).toEqual([
        { row: '3', field: '', code: 'ragged_row', reason: 'row has 3 fields; the header has 6' },
      ]);
      const admin = cliJson(['tokens', 'issue', '--role', 'admin', '--sub', 'ops', ...dev, '--json'], env);
      await eventually(
        async () => (await get(base, `/v1/uploads/${summary.upload_id}`, bearer(admin.token))).status === 200,
        30_000,
        'the upload at the server',
      );
      expect((await get(base, `/v1/uploads/${summary.upload_id}`, bearer(admin.token))).json).toMatchObject({
        state: 'done',
        accepted: 2,
        unreadable: 1,
      });

      const plan = cliJson(
        ['replay', '--stage', 'validate', '--from', 'earliest', '--dry-run', '--json'],
        env,
      );
      const leads = plan.records as number;
      expect(leads).toBeGreaterThanOrEqual(2);
      const replayed = cliJson(['replay', '--stage', 'validate', '--from', 'earliest', '--json'], env);
      expect(replayed).toMatchObject({ stage: 'validate', records: leads });
      const agent = cliJson(
        ['tokens', 'issue', '--role', 'agent', '--sub', 'a-1', '--scopes', 'leads:read', ...dev, '--json'],
        env,
      );
      expect(
        (
          await post(
            base,
            '/v1/admin/replay',
            { stage: 'validate', from: 'earliest', dry_run: true },
            bearer(agent.token),
          )
        ).status,
      ).toBe(403);
      expect(
        runCli(['tokens', 'issue', '--role', 'admin', '--sub', 'x', '--scopes', 'everything', ...dev], env)
          .stderr,
      ).toContain('unknown scope');
    });
  });
}
