import { createRng } from './prng';
import { fitLogistic, linearPredictor, logLoss1, sigmoid, solveSymmetricPositive } from './logistic';

function synthetic(n: number, weights: number[], intercept: number, seed: string) {
  const rng = createRng(seed);
  const x: Float64Array[] = [];
  const y = new Int8Array(n);
  for (let i = 0; i < n; i += 1) {
    const row = Float64Array.from(weights, () => rng.normal());
    x.push(row);
    y[i] = rng.bool(sigmoid(linearPredictor({ intercept, coefficients: Float64Array.from(weights) }, row)))
      ? 1
      : 0;
  }
  return { x, y };
}

describe('logistic regression', () => {
  test('recovers the coefficients that generated the data', () => {
    const truth = [1.5, -1, 0.5, 0];
    const { x, y } = synthetic(6000, truth, -1, 'recover');
    const fit = fitLogistic(x, y, { penalty: 1e-6 });
    truth.forEach((w, j) => expect(fit.coefficients[j]).toBeCloseTo(w, 0.8));
    expect(fit.intercept).toBeCloseTo(-1, 0.8);
    expect(fit.iterations).toBeLessThan(15);
  });

  test('a larger penalty shrinks the coefficients towards zero but leaves the intercept free', () => {
    const { x, y } = synthetic(2000, [2, -2], 0.5, 'shrink');
    const weak = fitLogistic(x, y, { penalty: 0.01 });
    const strong = fitLogistic(x, y, { penalty: 5000 });
    const norm = (c: Float64Array) => Math.hypot(...c);
    expect(norm(strong.coefficients)).toBeLessThan(norm(weak.coefficients) / 3);
    // With the slopes nearly gone the intercept still matches the base rate.
    const rate = y.reduce((a, b) => a + b, 0) / y.length;
    expect(sigmoid(strong.intercept)).toBeCloseTo(rate, 1);
  });

  test('row weights act like repeated rows', () => {
    const x = [Float64Array.of(0), Float64Array.of(1), Float64Array.of(1), Float64Array.of(0)];
    const y = Int8Array.of(0, 1, 0, 1);
    const weighted = fitLogistic(x, y, { penalty: 0.1, weights: Float64Array.of(1, 3, 1, 1) });
    const repeated = fitLogistic([...x, x[1]!, x[1]!], Int8Array.of(0, 1, 0, 1, 1, 1), { penalty: 0.1 });
    expect(weighted.coefficients[0]).toBeCloseTo(repeated.coefficients[0]!, 6);
    expect(weighted.intercept).toBeCloseTo(repeated.intercept, 6);
  });

  test('separable data stays finite under a penalty', () => {
    const x = [Float64Array.of(-1), Float64Array.of(-2), Float64Array.of(1), Float64Array.of(2)];
    const fit = fitLogistic(x, Int8Array.of(0, 0, 1, 1), { penalty: 1 });
    expect(Number.isFinite(fit.coefficients[0]!)).toBe(true);
    expect(fit.coefficients[0]).toBeGreaterThan(0);
  });

  test('sigmoid and log-loss do not overflow', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(logLoss1(800, 0)).toBeCloseTo(800, 6);
    expect(logLoss1(-800, 0)).toBeCloseTo(0, 6);
    expect(logLoss1(0, 1)).toBeCloseTo(Math.LN2, 10);
  });

  test('Cholesky solve', () => {
    const a = Float64Array.of(4, 2, 2, 3);
    const x = solveSymmetricPositive(a, Float64Array.of(2, 1), 2);
    expect(4 * x[0]! + 2 * x[1]!).toBeCloseTo(2, 10);
    expect(2 * x[0]! + 3 * x[1]!).toBeCloseTo(1, 10);
    expect(() => solveSymmetricPositive(Float64Array.of(1, 2, 2, 1), Float64Array.of(1, 1), 2)).toThrow(
      /positive definite/,
    );
  });
});
