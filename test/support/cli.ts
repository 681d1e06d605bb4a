import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

/**
 * Runs a spawned `leadflow` child to its end, sampling its anonymous resident memory (heap,
 * buffers, native allocations; not file-backed pages such as a memory-mapped log) every 100 ms.
 */
export async function runMeasured(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string; peakAnon: number }> {
  let peakAnon = 0;
  const sample = setInterval(() => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakAnon = Math.max(peakAnon, Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      // The process has just exited.
    }
  }, 100);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sample);
  return { code, stdout, stderr, peakAnon };
}
