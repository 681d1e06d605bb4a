import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_CSV_COLUMNS } from '../processors/match/agent-csv';
import type { Agent } from '../schemas/routing-records';
import { runCli } from '../test/support/cli';

jest.setTimeout(180_000);

function csv(rows: Record<string, string>[]): string {
  return [
    AGENT_CSV_COLUMNS.join(','),
    ...rows.map((r) => AGENT_CSV_COLUMNS.map((c) => r[c] ?? '').join(',')),
  ].join('\n');
}

const row = (agentId: string, extra: Record<string, string> = {}) => ({
  agent_id: agentId,
  name: `Agent ${agentId}`,
  routing_group: 'pc-west',
  licensed_auto: 'CA NV',
  zip: '94103',
  capacity_daily: '20',
  capacity_concurrent: '3',
  work_days: 'mon-fri',
  work_start: '09:00',
  work_end: '17:00',
  ...extra,
});

describe('leadflow agents and simulate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-agents-'));
  const env = { LEADFLOW_DATA_DIR: dir };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('import reports bad rows by row and column, publishes the good ones; list and set-status', () => {
    const file = path.join(dir, 'agents.csv');
    fs.writeFileSync(
      file,
      csv([row('a-1'), row('a-2', { capacity_daily: 'twenty' }), row('a-3', { vip_tier: 'gold' })]),
    );
    const imported = runCli(['agents', 'import', file, '--json'], env);
    expect(imported.status).toBe(1);
    expect(JSON.parse(imported.stdout)).toEqual({
      imported: 2,
      valid: 2,
      errors: [{ row: 2, column: 'capacity_daily', message: expect.stringContaining('number') }],
    });

    const paused = runCli(['agents', 'set-status', 'paused', 'a-1'], env);
    expect(paused.stdout).toBe('a-1: paused\n');
    const listed = runCli(['agents', 'list', '--json'], env);
    expect(listed.status).toBe(0);
    const agents = JSON.parse(listed.stdout) as Agent[];
    expect(agents.map((a) => [a.agentId, a.status, a.vipTier])).toEqual([
      ['a-1', 'paused', null],
      ['a-3', 'active', 'gold'],
    ]);
    expect(agents[0]!.workingHours.timeZone).toBe('America/Los_Angeles');

    const unknown = runCli(['agents', 'set-status', 'paused', 'nobody'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown agent(s): nobody');
    const badStatus = runCli(['agents', 'set-status', 'asleep', 'a-1'], env);
    expect(badStatus.stderr).toContain('status must be one of active, paused, inactive');
  });

  test('simulate routing prints the audited result of every strategy', () => {
    const result = runCli(
      ['simulate', 'routing', '--agents', '40', '--leads', '400', '--seed', 'cli', '--json'],
      env,
    );
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const field of [
      'assigned',
      'unroutable',
      'accept_rate',
      'median_time_to_accept_s',
      'capacity_violations',
      'unlicensed_assignments',
      'fairness_gini',
    ]) {
      expect(report).toHaveProperty(field);
    }
    expect(report.capacity_violations).toBe(0);
    expect(report.unlicensed_assignments).toBe(0);
    expect(Object.keys(report.by_strategy as object)).toEqual([
      'best_match',
      'weighted_round_robin',
      'fair_share',
    ]);
    const bad = runCli(['simulate', 'routing', '--compare', 'coin_toss'], env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unknown: coin_toss');
  });
});
