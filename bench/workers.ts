import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { POSTGRES_SINKS } from '../sinks';
import { NEO4J_SINKS } from '../sinks/neo4j';

/** How to run the leadflow CLI this process runs: `dist/cli/main.js`, or `cli/main.ts` under tsx. */
function cliEntry(): string[] {
  const main = path.join(
    __dirname,
    '..',
    'cli',
    fs.existsSync(path.join(__dirname, '..', 'cli', 'main.ts')) ? 'main.ts' : 'main.js',
  );
  return main.endsWith('.ts') ? ['--import', 'tsx', main] : [main];
}

/**
 * A split of the topology into worker processes: each stateful stage in its own process, the
 * sinks together. Operators can run the same with `leadflow start --processors ...` on each
 * machine; `bench pipeline --spread` and the crash tests use it.
 */
export const WORKER_GROUPS: Record<string, readonly string[]> = {
  intake: ['erase', 'validate', 'screen-phone', 'screen-email'],
  'lead-path': ['enrich-score-match', 'score-feedback'],
  assign: ['assign'],
  'after-assign': ['notify', 'report-outcomes', 'ledger', 'vendor-webhooks', 'buyer-returns'],
  reward: ['reward-leads', 'reward', 'metrics-funnel', 'metrics-rewards'],
  postgres: [...POSTGRES_SINKS],
  neo4j: [...NEO4J_SINKS],
};

/**
 * A deployment of `leadflow start --processors ...` worker processes that a bench or test can
 * SIGKILL and restart one at a time. The workers run this very CLI (from dist, or from the sources
 * under tsx). Each appends its output to `<dir>/<name>.log` across restarts, so a failing run can
 * show what the processes said.
 */
export class WorkerFleet {
  private readonly running = new Map<string, ChildProcess>();
  /** Workers the test stopped on purpose and has not started again. */
  private readonly stopped = new Set<string>();
  readonly starts = new Map<string, number>();

  constructor(
    private readonly groups: Record<string, readonly string[]>,
    private readonly env: Record<string, string>,
    readonly dir: string,
  ) {}

  get names(): string[] {
    return Object.keys(this.groups);
  }

  start(name: string): void {
    if (this.running.has(name)) throw new Error(`worker ${name} is already running`);
    const log = fs.openSync(path.join(this.dir, `${name}.log`), 'a');
    const child = spawn(
      process.execPath,
      [...cliEntry(), 'start', '--processors', this.groups[name]!.join(',')],
      { env: { ...process.env, ...this.env, PORT: '0' }, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    this.running.set(name, child);
    this.stopped.delete(name);
    this.starts.set(name, (this.starts.get(name) ?? 0) + 1);
    child.once('exit', () => {
      if (this.running.get(name) === child) this.running.delete(name);
    });
  }

  startAll(): void {
    for (const name of this.names) this.start(name);
  }

  /** SIGKILL: no shutdown hook runs, whatever the process was doing is cut off. */
  async kill(name: string): Promise<void> {
    await this.signal(name, 'SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.signal(name, 'SIGTERM')));
  }

  /** Workers that died on their own (a crash the test did not cause). */
  exitedUnexpectedly(): string[] {
    return this.names.filter(
      (name) => this.starts.has(name) && !this.running.has(name) && !this.stopped.has(name),
    );
  }

  /** Peak resident memory of each running worker so far (the kernel's high-water mark), in MB. */
  peakRssMb(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const [name, child] of this.running) {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        peaks[name] = Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
      } catch {
        // Exited in the meantime.
      }
    }
    return peaks;
  }

  /**
   * The last things a worker said, readable in a test report: kafkajs' own retry warnings (they
   * drown out what the processors said) and stack traces left out, and a message repeated in a
   * row (a consumer retrying against a broker that is loading) shown once with its count.
   */
  tail(name: string, lines = 40): string {
    const file = path.join(this.dir, `${name}.log`);
    if (!fs.existsSync(file)) return '(no output)';
    const said: { line: string; times: number }[] = [];
    for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
      if (raw === '' || raw.includes('"component":"kafkajs"')) continue;
      const line = withoutStack(raw);
      const last = said.at(-1);
      if (last && sameMessage(last.line, line)) last.times++;
      else said.push({ line, times: 1 });
    }
    return said
      .slice(-lines)
      .map(({ line, times }) => (times > 1 ? `${line} (x${times} in a row)` : line))
      .join('\n');
  }

  private async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.running.get(name);
    if (!child) return;
    this.running.delete(name);
    this.stopped.add(name);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

function withoutStack(line: string): string {
  try {
    const entry = JSON.parse(line) as { err?: { stack?: string } };
    if (entry.err) delete entry.err.stack;
    return JSON.stringify(entry);
  } catch {
    return line;
  }
}

/** The same message from the same place: log lines that differ only in their time. */
function sameMessage(a: string, b: string): boolean {
  const strip = (line: string) => line.replace(/"time":\d+,?/, '');
  return strip(a) === strip(b);
}
