import client from 'prom-client';

/**
 * Metrics of the engine itself. Labels are bounded: processor names and partition numbers come
 * from the topology, never from record contents.
 */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'leadflow_' });

export const engineMetrics = {
  records: new client.Counter({
    name: 'leadflow_processor_records_total',
    help: 'Input records a processor handled, by outcome (processed, parked or dead_lettered).',
    labelNames: ['processor', 'outcome'] as const,
    registers: [registry],
  }),
  commits: new client.Counter({
    name: 'leadflow_processor_commits_total',
    help: 'Atomic steps committed (outputs + state + offsets).',
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  commitFailures: new client.Counter({
    name: 'leadflow_processor_commit_failures_total',
    help: 'Steps whose commit failed (fenced, broker error); the task is rebuilt from its changelog.',
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  hangingTransactionsAborted: new client.Counter({
    name: 'leadflow_hanging_transactions_aborted_total',
    help: "Aborts of a transaction that held a group's offsets past the transaction timeout (docs/operations.md).",
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  stepSeconds: new client.Histogram({
    name: 'leadflow_processor_step_seconds',
    help: 'Time to process and commit one batch.',
    labelNames: ['processor'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  batchSize: new client.Histogram({
    name: 'leadflow_processor_batch_records',
    help: 'Input records per committed step.',
    labelNames: ['processor'] as const,
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 5000],
    registers: [registry],
  }),
  retries: new client.Counter({
    name: 'leadflow_processor_retries_total',
    help: 'Records a processor tried again after a retryable failure (timeout, service briefly down).',
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  supersededRecords: new client.Counter({
    name: 'leadflow_records_superseded_total',
    help: 'Records to compacted (table) outputs left out of a commit because a later one for the same key replaced them.',
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  restoredEntries: new client.Counter({
    name: 'leadflow_state_restored_entries_total',
    help: 'Changelog and table-topic entries applied while restoring task state (not those loaded from a checkpoint).',
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  restoreSeconds: new client.Histogram({
    name: 'leadflow_state_restore_seconds',
    help: 'Time to restore the tasks of one assignment, by whether a local checkpoint was used.',
    labelNames: ['processor', 'from'] as const,
    buckets: [0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  }),
  groupJoins: new client.Counter({
    name: 'leadflow_group_joins_total',
    help: "Joins of a processor's consumer group by this process: each one is a rebalance it took part in.",
    labelNames: ['processor'] as const,
    registers: [registry],
  }),
  eventLoopHeld: new client.Counter({
    name: 'leadflow_event_loop_held_total',
    help: 'Times the event loop was held a second or more (runtime/event-loop-watch.ts): heartbeats waited.',
    registers: [registry],
  }),
  checkpointSeconds: new client.Histogram({
    name: 'leadflow_state_checkpoint_seconds',
    help: "Time to write one task's local state checkpoint.",
    labelNames: ['processor'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
};

/** Records one committed step. */
export function observeStep(
  processor: string,
  commit: { processed: number; deadLettered: number; parked: number },
  seconds: number,
): void {
  engineMetrics.commits.inc({ processor });
  if (commit.processed > 0) engineMetrics.records.inc({ processor, outcome: 'processed' }, commit.processed);
  if (commit.deadLettered > 0)
    engineMetrics.records.inc({ processor, outcome: 'dead_lettered' }, commit.deadLettered);
  if (commit.parked > 0) engineMetrics.records.inc({ processor, outcome: 'parked' }, commit.parked);
  const inputs = commit.processed + commit.deadLettered + commit.parked;
  if (inputs > 0) {
    engineMetrics.stepSeconds.observe({ processor }, seconds);
    engineMetrics.batchSize.observe({ processor }, inputs);
  }
}
