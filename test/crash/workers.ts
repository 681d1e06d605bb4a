import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const main = path.join(__dirname, '..', '..', 'cli', 'main.ts');

/**
 * A deployment of `leadflow start --processors ...` worker processes, as an operator would run it
 * on Kafka, that a test can SIGKILL and restart one at a time. Each worker appends its output to
 * `<dir>/<name>.log` across restarts, so a failing test can show what the processes said.
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
      ['--import', 'tsx', main, 'start', '--processors', this.groups[name]!.join(',')],
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

  tail(name: string, lines = 40): string {
    const file = path.join(this.dir, `${name}.log`);
    if (!fs.existsSync(file)) return '(no output)';
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
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
