import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/harness';
import { runCli, spawnCli } from '../support/cli';

jest.setTimeout(120_000);

describe('leadflow start', () => {
  test('serves /healthz and /metrics on PORT with the embedded default and stops on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-start-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    // --dev: the API would refuse to start without LEADFLOW_JWT_SECRET otherwise.
    const child = spawnCli(['start', '--dev'], { LEADFLOW_DATA_DIR: dataDir, PORT: String(port) });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await eventually(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
          } catch {
            return false;
          }
        },
        60_000,
        'healthz',
      );
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
    }
  });

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
