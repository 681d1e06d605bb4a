import { auc, calibrationError, calibrationTable, logLoss, topShareHits } from './metrics';

describe('evaluation metrics', () => {
  test('AUC: perfect, reversed, uninformative and a hand-counted case', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // Pairs (pos, neg): (0.7 vs 0.1, 0.8) -> 1 + 0; (0.4 vs 0.1, 0.8) -> 1 + 0; (0.8 tie 0.8) counts half.
    expect(auc([0.7, 0.4, 0.8, 0.1, 0.8], [1, 1, 1, 0, 0])).toBeCloseTo((1 + 0 + 1 + 0 + 1 + 0.5) / 6, 12);
    expect(auc([0.3, 0.4], [1, 1])).toBeNaN();
  });

  test('top 20%: hits among the best-scored fifth, ties broken by input order', () => {
    const scores = [0.9, 0.1, 0.8, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.05];
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    expect(topShareHits(scores, labels, 0.2)).toEqual({ selected: 2, hits: 1, positives: 3, hitRate: 1 / 3 });
    expect(topShareHits([0.5, 0.5, 0.5], [0, 0, 1], 1 / 3).hits).toBe(0);
  });

  test('log-loss clips certain mistakes instead of returning Infinity', () => {
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.LN2, 12);
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
  });

  test('calibration table groups equal counts by predicted probability', () => {
    const p = Array.from({ length: 100 }, (_, i) => i / 100);
    const y = p.map((x) => (x >= 0.5 ? 1 : 0));
    const table = calibrationTable(p, y, 4);
    expect(table.map((b) => b.rows)).toEqual([25, 25, 25, 25]);
    expect(table.map((b) => b.observedRate)).toEqual([0, 0, 1, 1]);
    expect(table[0]!.low).toBe(0);
    expect(table[3]!.high).toBe(0.99);
    expect(calibrationError(table)).toBeGreaterThan(0.1);
    expect(
      calibrationError([{ bin: 1, rows: 10, low: 0, high: 1, meanPredicted: 0.3, observedRate: 0.3 }]),
    ).toBe(0);
  });
});
