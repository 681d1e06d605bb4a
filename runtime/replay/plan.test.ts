import { offsetsFor, parsePosition, planOf, PositionError, progressOf, rangesOf } from './plan';

test('positions: earliest, latest, offsets, per-partition offsets and times', () => {
  expect(parsePosition('earliest', '--from')).toEqual({ kind: 'earliest' });
  expect(parsePosition('now', '--to')).toEqual({ kind: 'latest' });
  expect(parsePosition('1200', '--from')).toEqual({ kind: 'offset', offset: 1200 });
  expect(parsePosition('0:5,3:7', '--from')).toEqual({
    kind: 'offsets',
    byPartition: new Map([
      [0, 5],
      [3, 7],
    ]),
  });
  expect(parsePosition('2026-01-31T08:00:00Z', '--from')).toEqual({
    kind: 'time',
    at: Date.UTC(2026, 0, 31, 8),
  });
  expect(parsePosition('2026-01-31', '--from')).toEqual({ kind: 'time', at: Date.UTC(2026, 0, 31) });
  expect(() => parsePosition('yesterday', '--from')).toThrow(/--from must be a time/);
  expect(() => parsePosition('0:1,0:2', '--from')).toThrow(PositionError);
});

test('positions become offsets per partition, clamped to the end of the log', () => {
  const ends = [10, 20, 30];
  const unnamed = (p: number) => ends[p]!;
  expect(offsetsFor({ kind: 'earliest' }, ends, undefined, unnamed)).toEqual([0, 0, 0]);
  expect(offsetsFor({ kind: 'offset', offset: 15 }, ends, undefined, unnamed)).toEqual([10, 15, 15]);
  expect(offsetsFor({ kind: 'offsets', byPartition: new Map([[1, 4]]) }, ends, undefined, unnamed)).toEqual([
    10, 4, 30,
  ]);
  expect(offsetsFor({ kind: 'time', at: 1 }, ends, [3, 4, 5], unnamed)).toEqual([3, 4, 5]);
});

test('a plan counts the records per partition and skips empty ranges; progress follows the group', () => {
  const plan = planOf('validate', rangesOf('leads.raw', [0, 5, 9], [4, 5, 12]));
  expect(plan.records).toBe(7);
  expect(plan.ranges.map((r) => [r.partition, r.records])).toEqual([
    [0, 4],
    [2, 3],
  ]);
  expect(() => rangesOf('leads.raw', [5], [4])).toThrow(/from \(5\) is after to \(4\)/);
  const progress = progressOf(plan, (_topic, partition) => (partition === 0 ? 2 : -1));
  expect(progress.map((r) => r.done)).toEqual([2, 0]);
});
