import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const main = path.join(__dirname, '..', '..', 'cli', 'main.ts');

/** Runs `leadflow ...args` from the sources to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts a long-running `leadflow ...args` (e.g. start); the caller stops it. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
