import type { Logger } from 'pino';
import { defineProcessor, PermanentError, type Processor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { Database } from './database';
import { type DoNotContactEntry, toDoNotContactChange } from './do-not-contact';
import { LEAD_EVENT_TOPICS, toLeadEvent } from './lead-events';
import { REWARD_SINKS, rewardSinks } from './rewards';
import { ROUTING_TOPICS, toRoutingChange, writeRoutingChanges } from './routing';
import { writeDoNotContactChanges, writeLeadEvents } from './writer';

/**
 * How long a sink keeps trying one batch before it gives up on it. Giving up is safe: nothing
 * commits, the task is rebuilt and the same records come again, so an outage only makes the
 * sink wait; the backoff keeps it from hammering a database that is down.
 */
export interface SinkRetry {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SINK_RETRY: SinkRetry = { attempts: 5, firstDelayMs: 250, maxDelayMs: 4000 };

export const POSTGRES_SINKS = [
  'postgres-leads',
  'postgres-dnc',
  'postgres-routing',
  ...REWARD_SINKS,
] as const;

/**
 * The Postgres sinks. Each batch a task commits is first written in one database transaction, so
 * the tables and the committed offsets move together: after a crash or an outage the records
 * since the last commit are written again, and the writes are idempotent by event id.
 */
export function postgresSinks(database: Database, retry: SinkRetry = DEFAULT_SINK_RETRY): Processor<never>[] {
  const leads = defineProcessor<unknown>({
    name: 'postgres-leads',
    inputs: LEAD_EVENT_TOPICS,
    outputs: [],
    // A record that could never be stored goes to the dead letter topic here, instead of failing
    // every flush of its batch forever.
    process: (record) => void toLeadEvent(record),
    flush: (records, ctx) =>
      withRetry(retry, ctx.log, () =>
        database.transaction((tx) => writeLeadEvents(tx, records.map(toLeadEvent))),
      ),
  });
  const doNotContact = defineProcessor<DoNotContactEntry | null>({
    name: 'postgres-dnc',
    inputs: [TOPIC.doNotContact],
    outputs: [],
    process: (record) => void toDoNotContactChange(record),
    flush: (records, ctx) =>
      withRetry(retry, ctx.log, () =>
        database.transaction((tx) => writeDoNotContactChanges(tx, records.map(toDoNotContactChange))),
      ),
  });
  const routing = defineProcessor<unknown>({
    name: 'postgres-routing',
    inputs: ROUTING_TOPICS,
    outputs: [],
    process: (record) => void toRoutingChange(record),
    flush: (records, ctx) =>
      withRetry(retry, ctx.log, () =>
        database.transaction((tx) => writeRoutingChanges(tx, records.map(toRoutingChange))),
      ),
  });
  return [
    leads,
    doNotContact,
    routing,
    ...rewardSinks(database, (log, write) => withRetry(retry, log, write)),
  ] as Processor<never>[];
}

/**
 * SQLSTATE classes in which the database refuses the data itself (22: a value out of range or
 * malformed, 23: a constraint broken): the same rows fail again on every try.
 */
const REFUSED_DATA = /^2[23]/;

async function withRetry(retry: SinkRetry, log: Logger, write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (error) {
      // The message and code only: a driver's error detail can quote the row, and rows hold PII.
      const reason = { message: (error as Error).message, code: (error as { code?: string }).code };
      if (reason.code && REFUSED_DATA.test(reason.code)) {
        throw new PermanentError(
          `postgres sink: the database refused the rows (${reason.code}: ${reason.message})`,
        );
      }
      if (attempt >= retry.attempts) {
        throw new Error(
          `postgres sink: write failed ${attempt} times (${reason.message}); the batch will be read again`,
        );
      }
      const delayMs = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempt - 1));
      log.warn({ error: reason, attempt, delayMs }, 'postgres sink: write failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
