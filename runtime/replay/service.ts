import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ReplayPlan } from './plan';
import { ReplayBusyError, type ReplayProgress, type ReplayRunner } from './runner';

export type ReplayState = 'running' | 'done' | 'failed' | 'interrupted';

interface ReplayRecord {
  id: string;
  plan: ReplayPlan;
  state: ReplayState;
  progress: ReplayProgress;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  abort: AbortController;
  finished: Promise<void>;
}

/**
 * Replays started over HTTP: each runs in this process, in the background, one per stage at a
 * time. Their status is kept here; a replay stops with the process that runs it.
 */
export class ReplayService {
  private readonly replays = new Map<string, ReplayRecord>();

  constructor(
    readonly runner: ReplayRunner,
    private readonly log: Logger,
  ) {}

  start(plan: ReplayPlan): ReplayStatus {
    const running = [...this.replays.values()].find(
      (r) => r.state === 'running' && r.plan.stage === plan.stage,
    );
    if (running) throw new ReplayBusyError(`replay ${running.id} of ${plan.stage} is still running`);
    const abort = new AbortController();
    const replay: ReplayRecord = {
      id: randomUUID(),
      plan,
      state: 'running',
      progress: plan.ranges.map((r) => ({ ...r, done: 0 })),
      error: null,
      startedAt: Date.now(),
      finishedAt: null,
      abort,
      finished: Promise.resolve(),
    };
    replay.finished = this.runner
      .run(plan, { signal: abort.signal, onProgress: (progress) => (replay.progress = progress) })
      .then((progress) => {
        replay.progress = progress;
        replay.state = abort.signal.aborted ? 'interrupted' : 'done';
      })
      .catch((error: unknown) => {
        replay.state = 'failed';
        replay.error = error instanceof Error ? error.message : String(error);
        this.log.error({ err: error, replay: replay.id, stage: plan.stage }, 'replay failed');
      })
      .finally(() => {
        replay.finishedAt = Date.now();
      });
    this.replays.set(replay.id, replay);
    return statusOf(replay);
  }

  status(id: string): ReplayStatus | undefined {
    const replay = this.replays.get(id);
    return replay && statusOf(replay);
  }

  /** Stops running replays where they are (what they committed stays committed). */
  async close(): Promise<void> {
    for (const replay of this.replays.values()) replay.abort.abort();
    await Promise.all([...this.replays.values()].map((r) => r.finished));
  }
}

export type ReplayStatus = ReturnType<typeof statusOf>;

function statusOf(replay: ReplayRecord) {
  return {
    replay_id: replay.id,
    stage: replay.plan.stage,
    state: replay.state,
    records: replay.plan.records,
    done: replay.progress.reduce((sum, r) => sum + r.done, 0),
    error: replay.error,
    started_at: new Date(replay.startedAt).toISOString(),
    finished_at: replay.finishedAt === null ? null : new Date(replay.finishedAt).toISOString(),
    partitions: replay.progress.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      from: r.from,
      to: r.to,
      records: r.records,
      done: r.done,
    })),
  };
}
