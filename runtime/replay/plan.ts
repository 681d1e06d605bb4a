/**
 * What a replay re-runs: for each partition of a stage's inputs, the offsets [from, to). Positions
 * are given as times, offsets (one for every partition, or per partition), or earliest/latest.
 */
import { parseIsoTimestamp } from '../../schemas/lead';

export type Position =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'time'; at: number }
  | { kind: 'offset'; offset: number }
  | { kind: 'offsets'; byPartition: ReadonlyMap<number, number> };

export class PositionError extends Error {
  override name = 'PositionError';
}

/**
 * Parses `earliest`, `latest`/`now`, an offset (`1200`), per-partition offsets (`0:1200,3:800`)
 * or a time (ISO 8601, e.g. 2026-01-31T08:00:00Z, or a date, taken as midnight UTC).
 */
export function parsePosition(text: string, name: string): Position {
  const value = text.trim();
  if (value === 'earliest') return { kind: 'earliest' };
  if (value === 'latest' || value === 'now') return { kind: 'latest' };
  if (/^\d+$/.test(value)) return { kind: 'offset', offset: Number(value) };
  if (/^\d+:\d+(,\d+:\d+)*$/.test(value)) {
    const byPartition = new Map<number, number>();
    for (const pair of value.split(',')) {
      const [partition, offset] = pair.split(':').map(Number) as [number, number];
      if (byPartition.has(partition))
        throw new PositionError(`${name}: partition ${partition} is given twice`);
      byPartition.set(partition, offset);
    }
    return { kind: 'offsets', byPartition };
  }
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? parseIsoTimestamp(`${value}T00:00:00Z`)
    : parseIsoTimestamp(value);
  if (at === null) {
    throw new PositionError(
      `${name} must be a time (ISO 8601, e.g. 2026-01-31T08:00:00Z), an offset, partition:offset pairs, earliest or latest; got "${text}"`,
    );
  }
  return { kind: 'time', at };
}

export interface PartitionRange {
  topic: string;
  partition: number;
  from: number;
  to: number;
  /** to - from: the records to re-run (on Kafka, transactionally written inputs also count commit markers). */
  records: number;
}

export interface ReplayPlan {
  stage: string;
  ranges: PartitionRange[];
  records: number;
}

/**
 * A position as an offset per partition, given the topic's end offsets and (for times) the
 * offsets at that time. Partitions a per-partition position does not name get `unnamed`.
 */
export function offsetsFor(
  position: Position,
  ends: readonly number[],
  atTime: readonly number[] | undefined,
  unnamed: (partition: number) => number,
): number[] {
  return ends.map((end, partition) => {
    switch (position.kind) {
      case 'earliest':
        return 0;
      case 'latest':
        return end;
      case 'time':
        return atTime![partition]!;
      case 'offset':
        return Math.min(position.offset, end);
      case 'offsets': {
        const offset = position.byPartition.get(partition);
        return offset === undefined ? unnamed(partition) : Math.min(offset, end);
      }
    }
  });
}

/** The ranges of one input topic; partitions with nothing to re-run are left out. */
export function rangesOf(topic: string, from: readonly number[], to: readonly number[]): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  from.forEach((start, partition) => {
    const end = to[partition]!;
    if (start > end) {
      throw new PositionError(`on ${topic} partition ${partition}, from (${start}) is after to (${end})`);
    }
    if (end > start) ranges.push({ topic, partition, from: start, to: end, records: end - start });
  });
  return ranges;
}

export function planOf(stage: string, ranges: PartitionRange[]): ReplayPlan {
  return { stage, ranges, records: ranges.reduce((sum, r) => sum + r.records, 0) };
}

/** Per range, how far a replay got, from its group's committed offsets. */
export function progressOf(plan: ReplayPlan, committed: (topic: string, partition: number) => number) {
  return plan.ranges.map((range) => {
    const at = committed(range.topic, range.partition);
    return { ...range, done: Math.max(0, Math.min(range.records, at - range.from)) };
  });
}
