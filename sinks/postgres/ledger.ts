/**
 * The lead ledger's table: every entry of topic `ledger` (what a lead cost and earned, and the
 * reversals of a return), inserted once by entry id and never changed. Entries hold ids, vendor,
 * campaign, line, state and money, nothing about the person, so erasure leaves them alone.
 */
import type { ConsumedRecord } from '../../runtime/records';
import { LEDGER_KINDS, type LedgerEntry } from '../../schemas/ledger-records';
import type { Queryable } from './database';
import { eventId, storableTime, withoutNul } from './lead-events';
import { insertNew, iso } from './writer';

/** The sink of topic `ledger`. */
export const LEDGER_SINK = 'postgres-ledger';

/**
 * The entry a record carries; throws (the record is dead-lettered) when it could never be stored
 * or would make every sum wrong: a negative or fractional amount, a kind the reports do not know.
 */
export function toLedgerEntry(record: ConsumedRecord<unknown>): LedgerEntry {
  const where = eventId(record);
  const entry = record.value as LedgerEntry | null;
  if (entry === null) throw new Error(`${where} has no value (a tombstone on ${record.topic})`);
  if (!(LEDGER_KINDS as readonly string[]).includes(entry.kind))
    throw new Error(`${where}: kind ${entry.kind} is not one of ${LEDGER_KINDS.join(', ')}`);
  if (!Number.isSafeInteger(entry.amountCents) || entry.amountCents < 0)
    throw new Error(`${where}: amountCents ${entry.amountCents} is not a whole number of cents >= 0`);
  if (!storableTime(entry.at)) throw new Error(`${where}: at ${entry.at} is not a storable time`);
  return withoutNul(entry);
}

/** Inserts the entries not stored yet, inside the caller's transaction: a batch written twice changes nothing. */
export async function writeLedgerEntries(tx: Queryable, entries: readonly LedgerEntry[]): Promise<void> {
  await insertNew(
    tx,
    'ledger_entries',
    {
      entry_id: 'text',
      lead_id: 'text',
      kind: 'text',
      party: 'text',
      party_id: 'text',
      amount_cents: 'bigint',
      rule: 'text',
      vendor_id: 'text',
      campaign: 'text',
      line: 'text',
      state: 'text',
      reason: 'text',
      source_event_id: 'text',
      at: 'timestamptz',
    },
    ['entry_id'],
    entries.map((e) => ({
      entry_id: e.entryId,
      lead_id: e.leadId,
      kind: e.kind,
      party: e.party,
      party_id: e.partyId,
      amount_cents: e.amountCents,
      rule: e.rule,
      vendor_id: e.vendorId,
      campaign: e.campaign,
      line: e.line,
      state: e.state,
      reason: e.reason,
      source_event_id: e.sourceEventId,
      at: iso(e.at),
    })),
  );
}
