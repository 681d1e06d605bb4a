/**
 * Deadlines by stream time: the latest event time a task has seen, not the wall clock. Referral
 * expiry and period closes follow it, so replaying the same input from the start reaches every
 * deadline at the same point between the same records, and the ledger comes out the same. A task
 * that receives nothing does not move its stream time; the lead flow is continuous, so that
 * delays a deadline only while there is nothing to decide.
 */

/** The key-value tables the reward logic keeps its state in (a task store, or a Map in tests). */
export interface Table<V> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  delete(key: string): void;
  range(from?: string, to?: string): Iterable<[string, V]>;
}

const STREAM_TIME = 'stream-time';
// Fixed-width epoch ms, so keys sort by time.
const slot = (at: number) => String(Math.max(0, Math.floor(at))).padStart(15, '0');

export class Agenda {
  constructor(private readonly table: Table<string | number>) {}

  get streamTime(): number {
    return (this.table.get(STREAM_TIME) as number | undefined) ?? 0;
  }

  /** Moves stream time forward to `at` (never back). */
  observe(at: number): void {
    if (at > this.streamTime) this.table.put(STREAM_TIME, at);
  }

  add(at: number, item: string): void {
    this.table.put(`due|${slot(at)}|${item}`, item);
  }

  remove(at: number, item: string): void {
    this.table.delete(`due|${slot(at)}|${item}`);
  }

  /** Removes and returns the items due by stream time, earliest first. */
  takeDue(): string[] {
    const due: [string, string][] = [];
    for (const [key, item] of this.table.range('due|', `due|${slot(this.streamTime + 1)}`)) {
      due.push([key, item as string]);
    }
    for (const [key] of due) this.table.delete(key);
    return due.map(([, item]) => item);
  }
}

/** A Table over a Map, for tests and simulations. */
export function mapTable<V>(map = new Map<string, V>()): Table<V> & { map: Map<string, V> } {
  return {
    map,
    get: (key) => map.get(key),
    put: (key, value) => void map.set(key, value),
    delete: (key) => void map.delete(key),
    range: (from, to) =>
      [...map.entries()]
        .filter(([key]) => (from === undefined || key >= from) && (to === undefined || key < to))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
