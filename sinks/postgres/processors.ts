import type { Logger } from 'pino';
import { PermanentError } from '../../runtime/errors';
import { retry, type RetryPolicy } from '../../runtime/retry';
import { defineProcessor, type Processor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import { BUYER_RETURNS_SINK, toBuyerReturnRow, writeBuyerReturns } from './buyer-returns';
import type { Database } from './database';
import { type DoNotContactEntry, toDoNotContactChange } from './do-not-contact';
import { LEAD_EVENT_TOPICS, toLeadEvent } from './lead-events';
import { LEDGER_SINK, toLedgerEntry, writeLedgerEntries } from './ledger';
import { keepingErasures, PRIVACY_SINK, toErasure, writeErasures } from './privacy';
import { REWARD_SINKS, rewardSinks } from './rewards';
import { type RoutingChange, ROUTING_TOPICS, toRoutingChange, writeRoutingChanges } from './routing';
import { writeDoNotContactChanges, writeLeadEvents } from './writer';

/**
 * How long a sink keeps trying one batch before it gives up on it. Giving up is safe: nothing
 * commits, the task is rebuilt and the same records come again, so an outage only makes the
 * sink wait; the backoff keeps it from hammering a database that is down.
 */
export const DEFAULT_SINK_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 4000 };

/** The sink of the lead tables (leads, lead_events and the funnel). */
export const LEADS_SINK = 'postgres-leads';

export const POSTGRES_SINKS = [
  LEADS_SINK,
  'postgres-dnc',
  'postgres-routing',
  LEDGER_SINK,
  BUYER_RETURNS_SINK,
  ...REWARD_SINKS,
  PRIVACY_SINK,
] as const;

/**
 * The Postgres sinks. Each batch a task commits is first written in one database transaction, so
 * the tables and the committed offsets move together: after a crash or an outage the records
 * since the last commit are written again, and the writes are idempotent by event id. Rows the
 * leads and routing sinks write for a lead already erased are erased again as they are written
 * (sinks/postgres/privacy.ts).
 */
export function postgresSinks(
  database: Database,
  policy: RetryPolicy = DEFAULT_SINK_RETRY,
): Processor<never>[] {
  const leads = defineProcessor<unknown>({
    name: LEADS_SINK,
    inputs: LEAD_EVENT_TOPICS,
    outputs: [],
    // A record that could never be stored goes to the dead letter topic here, instead of failing
    // every flush of its batch forever.
    process: (record) => void toLeadEvent(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, () =>
        database.transaction((tx) => {
          const events = records.map(toLeadEvent);
          return keepingErasures(
            tx,
            events.map((e) => e.leadId),
            () => writeLeadEvents(tx, events),
          );
        }),
      ),
  });
  const doNotContact = defineProcessor<DoNotContactEntry | null>({
    name: 'postgres-dnc',
    inputs: [TOPIC.doNotContact],
    outputs: [],
    process: (record) => void toDoNotContactChange(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, () =>
        database.transaction((tx) => writeDoNotContactChanges(tx, records.map(toDoNotContactChange))),
      ),
  });
  const routing = defineProcessor<unknown>({
    name: 'postgres-routing',
    inputs: ROUTING_TOPICS,
    outputs: [],
    process: (record) => void toRoutingChange(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, () =>
        database.transaction((tx) => {
          const changes = records.map(toRoutingChange);
          return keepingErasures(tx, changes.flatMap(leadIdOf), () => writeRoutingChanges(tx, changes));
        }),
      ),
  });
  // Ledger rows hold nothing about the person, so this sink takes no part in erasure.
  const ledger = defineProcessor<unknown>({
    name: LEDGER_SINK,
    inputs: [TOPIC.ledger],
    outputs: [],
    process: (record) => void toLedgerEntry(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, () =>
        database.transaction((tx) => writeLedgerEntries(tx, records.map(toLedgerEntry))),
      ),
  });
  // Nor do buyers' return rows (ids, vendor, reasons, money): this sink takes no part in erasure either.
  const buyerReturns = defineProcessor<unknown>({
    name: BUYER_RETURNS_SINK,
    inputs: [TOPIC.buyerReturnDecisions],
    outputs: [],
    process: (record) => void toBuyerReturnRow(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, () =>
        database.transaction((tx) => writeBuyerReturns(tx, records.map(toBuyerReturnRow))),
      ),
  });
  const privacy = defineProcessor<PrivacyErasure>({
    name: PRIVACY_SINK,
    inputs: [TOPIC.privacyErasures],
    outputs: [],
    process: (record) => void toErasure(record),
    flush: (records, ctx) =>
      withRetry(policy, ctx.log, async () => {
        const erased = await database.transaction((tx) => writeErasures(tx, records.map(toErasure)));
        if (erased) ctx.log.info({ erased }, 'postgres sink: erased the rows of erased leads');
      }),
  });
  return [
    leads,
    doNotContact,
    routing,
    ledger,
    buyerReturns,
    ...rewardSinks(database, (log, write) => withRetry(policy, log, write)),
    privacy,
  ] as Processor<never>[];
}

const leadIdOf = (change: RoutingChange): string[] =>
  change.table === 'assignments'
    ? [change.event.leadId]
    : change.table === 'lead_outcomes'
      ? [change.outcome.leadId]
      : [];

/**
 * SQLSTATE classes in which the database refuses the data itself (22: a value out of range or
 * malformed, 23: a constraint broken): the same rows fail again on every try.
 */
const REFUSED_DATA = /^2[23]/;

async function withRetry(policy: RetryPolicy, log: Logger, write: () => Promise<void>): Promise<void> {
  // The message and code only: a driver's error detail can quote the row, and rows hold PII.
  const reasonOf = (error: unknown) => ({
    message: (error as Error).message,
    code: (error as { code?: string }).code,
  });
  const refused = (error: unknown) => REFUSED_DATA.test(reasonOf(error).code ?? '');
  let attempts = 0;
  try {
    await retry(
      (attempt) => {
        attempts = attempt;
        return write();
      },
      {
        ...policy,
        isRetryable: (error) => !refused(error),
        onRetry: ({ error, attempt, delayMs }) =>
          log.warn({ error: reasonOf(error), attempt, delayMs }, 'postgres sink: write failed, retrying'),
      },
    );
  } catch (error) {
    const { message, code } = reasonOf(error);
    if (refused(error)) {
      throw new PermanentError(`postgres sink: the database refused the rows (${code}: ${message})`);
    }
    throw new Error(
      `postgres sink: write failed ${attempts} times (${message}); the batch will be read again`,
    );
  }
}
