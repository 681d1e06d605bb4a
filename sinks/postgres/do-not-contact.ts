import type { ConsumedRecord } from '../../runtime/records';
import { eventId, storableTime, withoutNul } from './lead-events';

/** A do-not-contact entry as the topic carries it (contacts.dnc, compacted). */
export interface DoNotContactEntry {
  key: string;
  kind: string;
  reason: string | null;
  source: string;
  addedAt: number;
}

/** One change to the list: an entry set, or (entry null, a tombstone) removed. */
export interface DoNotContactChange {
  identityKey: string;
  eventId: string;
  offset: number;
  entry: DoNotContactEntry | null;
}

/** The change a record makes; throws (the record is dead-lettered) when it could never be stored. */
export function toDoNotContactChange(record: ConsumedRecord<DoNotContactEntry | null>): DoNotContactChange {
  if (record.value && !storableTime(record.value.addedAt))
    throw new Error(`${eventId(record)}: addedAt ${record.value.addedAt} is not a storable time`);
  return {
    identityKey: withoutNul(record.key),
    eventId: eventId(record),
    offset: record.offset,
    entry: record.value === null ? null : withoutNul(record.value),
  };
}

/** The last change per identity, as compaction would keep it: what the table must end up with. */
export function latestPerKey(changes: readonly DoNotContactChange[]): DoNotContactChange[] {
  const latest = new Map<string, DoNotContactChange>();
  for (const change of changes) latest.set(change.identityKey, change);
  return [...latest.values()];
}
