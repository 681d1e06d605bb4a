import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/harness';
import { dropSchema, openDatabase } from '../../sinks/postgres/database';
import { runCli, spawnCli } from '../support/cli';
import { databaseUrl, postgresGate } from '../support/services';

jest.setTimeout(120_000);

/** Whether a started process answers /healthz on the port. */
async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

describe('leadflow start', () => {
  const schema = `start_${Date.now().toString(36)}`;
  test('serves /healthz and /metrics on PORT with the embedded default and stops on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-start-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    // --dev: the API would refuse to start without LEADFLOW_JWT_SECRET otherwise. Its own
    // database schema (when DATABASE_URL is set): tests of other versions share the database.
    const child = spawnCli(['start', '--dev'], {
      LEADFLOW_DATA_DIR: dataDir,
      PORT: String(port),
      LEADFLOW_DATABASE_SCHEMA: schema,
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await eventually(() => healthy(port), 60_000, 'healthz');
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Record<
        string,
        unknown
      >;
      expect(health).toMatchObject({ status: 'ok', transport: 'embedded' });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('leadflow_process_resident_memory_bytes');
      expect(fs.existsSync(path.join(dataDir, 'log.sqlite'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(stderr).not.toMatch(/error/i);
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (process.env.DATABASE_URL) await dropSchema(databaseUrl, schema);
    }
  });

  (postgresGate().run ? test : test.skip)(
    'a database migrated by a newer version stops it at start, with the reason',
    async () => {
      const gate = postgresGate();
      if (gate.reason) throw new Error(gate.reason);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-start-'));
      // Opening migrates the schema; then a migration of a later version is recorded in it.
      const database = await openDatabase({ DATABASE_URL: databaseUrl, dataDir, schema });
      try {
        await database.query(
          `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ($1, 99, now())`,
          ['9999_from_a_newer_version'],
        );
        const child = spawnCli(['start', '--dev'], {
          LEADFLOW_DATA_DIR: dataDir,
          PORT: String(20000 + Math.floor(Math.random() * 20000)),
          DATABASE_URL: databaseUrl,
          LEADFLOW_DATABASE_SCHEMA: schema,
        });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        // Before, it printed knex's "migration directory is corrupt" and kept running, unserving.
        const code = await new Promise((resolve) => child.once('exit', resolve));
        expect(code).toBe(1);
        expect(stderr).toContain('migrated by a newer leadflow (9999_from_a_newer_version');
      } finally {
        await database.close();
        await dropSchema(databaseUrl, schema);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  (postgresGate().run ? test : test.skip)(
    'a database that is not up yet is waited for, then served from',
    async () => {
      const gate = postgresGate();
      if (gate.reason) throw new Error(gate.reason);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-start-'));
      const port = 20000 + Math.floor(Math.random() * 20000);
      // PostgreSQL behind a port that refuses connections until the proxy opens it.
      const real = new URL(databaseUrl);
      const proxy = net.createServer((client) => {
        const upstream = net.connect(Number(real.port || 5432), real.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      const proxyPort = 20000 + Math.floor(Math.random() * 20000);
      const proxied = new URL(databaseUrl);
      proxied.port = String(proxyPort);
      const child = spawnCli(['start', '--dev'], {
        LEADFLOW_DATA_DIR: dataDir,
        PORT: String(port),
        DATABASE_URL: proxied.toString(),
        LEADFLOW_DATABASE_SCHEMA: schema,
      });
      let output = '';
      for (const stream of [child.stdout!, child.stderr!])
        stream.on('data', (c: Buffer) => (output += c.toString()));
      let exited = false;
      child.once('exit', () => (exited = true));
      try {
        await eventually(() => output.includes('trying again'), 60_000, 'a retried start');
        expect(exited).toBe(false);
        await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
        await eventually(() => healthy(port), 90_000, 'healthz once the database is up');
      } finally {
        child.kill('SIGTERM');
        if (!exited) await new Promise((resolve) => child.once('exit', resolve));
        await new Promise((resolve) => proxy.close(resolve));
        await dropSchema(databaseUrl, schema);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  test('a bad setting stops it at start with a message naming the variable', () => {
    const result = runCli(['start'], { PORT: 'eighty', LEADFLOW_TRANSPORT: 'carrier-pigeon' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('LEADFLOW_TRANSPORT');
  });

  test('every subcommand has --help', () => {
    for (const args of [
      [],
      ['start'],
      ['topics'],
      ['topics', 'apply'],
      ['topics', 'list'],
      ['bench', 'engine'],
      ['schemas', 'check'],
    ]) {
      const result = runCli([...args, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Usage: leadflow/);
    }
  });
});

describe('leadflow topics', () => {
  test('apply is idempotent and list shows partitions and end offsets', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-topics-'));
    const env = { LEADFLOW_DATA_DIR: dataDir };
    const first = runCli(['topics', 'apply'], env);
    expect(first.status).toBe(0);
    const second = runCli(['topics', 'apply'], env);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toMatch(/^created/m);
    const list = runCli(['topics', 'list', '--json'], env);
    expect(list.status).toBe(0);
    const topics = JSON.parse(list.stdout) as { name: string; partitions: number; endOffsets: number[] }[];
    for (const topic of topics) expect(topic.endOffsets).toHaveLength(topic.partitions);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
