import {
  accuracyRows,
  checkRange,
  conversionRows,
  dropOff,
  funnelRows,
  parseDay,
  rangeBounds,
  rankAgents,
} from './analytics';
import { toCsv } from './read-models';

const counts = [
  { stage: 'rejected', leads: 15 },
  { stage: 'enriched', leads: 80 },
  { stage: 'received', leads: 100 },
  { stage: 'valid', leads: 85 },
];

test('funnel rows come in flow order, rejected last, with shares of the leads received', () => {
  expect(funnelRows(counts)).toEqual([
    { stage: 'received', leads: 100, share_of_received: 1 },
    { stage: 'valid', leads: 85, share_of_received: 0.85 },
    { stage: 'enriched', leads: 80, share_of_received: 0.8 },
    { stage: 'rejected', leads: 15, share_of_received: 0.15 },
  ]);
});

test('drop-off runs between consecutive stages up to the last one any lead reached', () => {
  expect(dropOff(counts)).toEqual([
    { from_stage: 'received', to_stage: 'valid', entered: 100, continued: 85, dropped: 15, drop_rate: 0.15 },
    { from_stage: 'valid', to_stage: 'enriched', entered: 85, continued: 80, dropped: 5, drop_rate: 0.0588 },
  ]);
  expect(dropOff([])).toEqual([]);
});

test('conversion rows pivot stage counts per group, busiest group first', () => {
  const rows = conversionRows(
    [
      { group: 'b', stage: 'received', leads: 10 },
      { group: 'b', stage: 'valid', leads: 5 },
      { group: 'b', stage: 'rejected', leads: 5 },
      { group: 'a', stage: 'received', leads: 20 },
      { group: 'a', stage: 'valid', leads: 20 },
      { group: 'a', stage: 'converted', leads: 2 },
    ],
    'vendor_id',
  );
  expect(rows).toEqual([
    {
      vendor_id: 'a',
      received: 20,
      valid: 20,
      converted: 2,
      rejected: 0,
      valid_rate: 1,
      conversion_rate: 0.1,
    },
    {
      vendor_id: 'b',
      received: 10,
      valid: 5,
      converted: 0,
      rejected: 5,
      valid_rate: 0.5,
      conversion_rate: 0,
    },
  ]);
});

describe('day ranges', () => {
  test('days must be real calendar dates, and the error names the option', () => {
    expect(parseDay('2026-02-28', '--from')).toBe('2026-02-28');
    expect(() => parseDay('2026-02-30', '--from')).toThrow(
      '--from must be a date as YYYY-MM-DD, got "2026-02-30"',
    );
    expect(() => parseDay('yesterday', '--to')).toThrow(/--to/);
  });

  test('a range cannot end before it starts', () => {
    expect(() => checkRange({ from: '2026-03-02', to: '2026-03-01' })).toThrow(/after/);
    expect(checkRange({ from: '2026-03-01' })).toEqual({ from: '2026-03-01' });
  });

  test('bounds cover whole UTC days, the last one included', () => {
    expect(rangeBounds({ from: '2026-03-01', to: '2026-03-31' })).toEqual({
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-04-01T00:00:00.000Z',
    });
    expect(rangeBounds({})).toEqual({ start: null, end: null });
  });
});

test('CSV has a header line and quotes what needs quoting', () => {
  expect(
    toCsv([
      { code: 'a,b', leads: 2 },
      { code: 'say "hi"', leads: 1 },
    ]),
  ).toBe('code,leads\n"a,b",2\n"say ""hi""",1\n');
  expect(toCsv([], ['code', 'leads'])).toBe('code,leads\n');
  expect(toCsv([])).toBe('');
});

describe('agent ranking and score accuracy', () => {
  const counts = (agent_id: string, offers: number, accepted: number, sold: number, lost: number) => ({
    agent_id,
    offers,
    accepted,
    declined: 0,
    lapsed: offers - accepted,
    sold,
    lost,
    median_seconds_to_accept: 60,
  });

  test('agents rank by sales, then close rate, then acceptance', () => {
    const ranked = rankAgents([counts('a', 10, 5, 1, 4), counts('b', 10, 8, 3, 1), counts('c', 4, 4, 3, 0)]);
    expect(ranked.map((r) => [r.agent_id, r.acceptance_rate, r.close_rate])).toEqual([
      ['c', 1, 1],
      ['b', 0.8, 0.75],
      ['a', 0.5, 0.2],
    ]);
  });

  test('conversion per score band and the AUC over all closed leads', () => {
    const rows = accuracyRows([
      { score: 15, sold: false },
      { score: 18, sold: false },
      { score: 55, sold: true },
      { score: 52, sold: false },
      { score: 91, sold: true },
      { score: 100, sold: true },
    ]);
    expect(rows).toEqual([
      { score_band: '10-20', closed: 2, sold: 0, conversion_rate: 0, auc: null },
      { score_band: '50-60', closed: 2, sold: 1, conversion_rate: 0.5, auc: null },
      { score_band: '90-100', closed: 2, sold: 2, conversion_rate: 1, auc: null },
      // Every sale (55, 91, 100) scored above every loss (15, 18, 52): all 9 pairs ranked right.
      { score_band: 'all', closed: 6, sold: 3, conversion_rate: 0.5, auc: 1 },
    ]);
    expect(accuracyRows([{ score: 40, sold: true }]).at(-1)!.auc).toBeNull();
  });
});
