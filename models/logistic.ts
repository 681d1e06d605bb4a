/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares). With a few hundred features at most, the exact Hessian is cheap and Newton converges
 * in a handful of steps to the unique optimum, so no learning rate or epoch count to tune: the
 * penalty is the one knob, chosen by cross-validation in `train.ts`.
 */

export interface LogisticFit {
  intercept: number;
  coefficients: Float64Array;
  iterations: number;
}

export interface FitOptions {
  /** L2 penalty on the coefficients (never on the intercept): loss + penalty/2 * |w|^2. */
  penalty: number;
  /** Per-row weights (class weighting); 1 for every row when absent. */
  weights?: Float64Array;
  /** Starting point, e.g. the fit for a neighbouring penalty (warm start). */
  start?: { intercept: number; coefficients: Float64Array };
  maxIterations?: number;
}

export const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

export function linearPredictor(
  fit: Pick<LogisticFit, 'intercept' | 'coefficients'>,
  x: ArrayLike<number>,
): number {
  let z = fit.intercept;
  for (let j = 0; j < fit.coefficients.length; j += 1) z += fit.coefficients[j]! * x[j]!;
  return z;
}

/** Rows of X (each of length d) and labels y in {0,1}. */
export function fitLogistic(
  x: readonly Float64Array[],
  y: ArrayLike<number>,
  options: FitOptions,
): LogisticFit {
  const n = x.length;
  if (n === 0) throw new Error('cannot fit a model on no rows');
  const d = x[0]!.length;
  const p = d + 1; // parameter 0 is the intercept
  const weights = options.weights ?? new Float64Array(n).fill(1);
  const theta = new Float64Array(p);
  if (options.start) {
    theta[0] = options.start.intercept;
    theta.set(options.start.coefficients, 1);
  } else {
    // Start at the base rate: the optimum's intercept is near it, so the first steps are short.
    let positive = 0;
    let total = 0;
    for (let i = 0; i < n; i += 1) {
      positive += weights[i]! * y[i]!;
      total += weights[i]!;
    }
    const rate = Math.min(1 - 1e-6, Math.max(1e-6, positive / total));
    theta[0] = Math.log(rate / (1 - rate));
  }

  const objective = (t: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i += 1) loss += weights[i]! * logLoss1(predictorOf(t, x[i]!), y[i]!);
    let norm = 0;
    for (let j = 1; j < p; j += 1) norm += t[j]! * t[j]!;
    return loss + (options.penalty / 2) * norm;
  };

  const maxIterations = options.maxIterations ?? 50;
  let current = objective(theta);
  let iterations = 0;
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const row = new Float64Array(p);
  for (; iterations < maxIterations; iterations += 1) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i += 1) {
      row[0] = 1;
      row.set(x[i]!, 1);
      const mu = sigmoid(predictorOf(theta, x[i]!));
      const residual = weights[i]! * (mu - y[i]!);
      const curvature = weights[i]! * mu * (1 - mu);
      for (let a = 0; a < p; a += 1) {
        const ra = row[a]!;
        if (ra === 0) continue;
        gradient[a] = gradient[a]! + residual * ra;
        const scaled = curvature * ra;
        const offset = a * p;
        // Upper triangle only; mirrored before solving.
        for (let b = a; b < p; b += 1) hessian[offset + b] = hessian[offset + b]! + scaled * row[b]!;
      }
    }
    for (let j = 1; j < p; j += 1) {
      gradient[j] = gradient[j]! + options.penalty * theta[j]!;
      hessian[j * p + j] = hessian[j * p + j]! + options.penalty;
    }
    // A tiny ridge keeps the system solvable when a feature never varies in this fold.
    for (let j = 0; j < p; j += 1) hessian[j * p + j] = hessian[j * p + j]! + 1e-9;
    for (let a = 0; a < p; a += 1)
      for (let b = a + 1; b < p; b += 1) hessian[b * p + a] = hessian[a * p + b]!;

    const step = solveSymmetricPositive(hessian, gradient, p);
    let scale = 1;
    let next = new Float64Array(p);
    let nextObjective = Infinity;
    for (let halving = 0; halving < 30; halving += 1) {
      for (let j = 0; j < p; j += 1) next[j] = theta[j]! - scale * step[j]!;
      nextObjective = objective(next);
      if (nextObjective <= current) break;
      scale /= 2;
    }
    if (!(nextObjective <= current)) break;
    let largest = 0;
    for (let j = 0; j < p; j += 1) largest = Math.max(largest, Math.abs(next[j]! - theta[j]!));
    theta.set(next);
    const improvement = current - nextObjective;
    current = nextObjective;
    next = new Float64Array(p);
    if (largest < 1e-7 || improvement < 1e-10 * Math.max(1, current)) {
      iterations += 1;
      break;
    }
  }
  return { intercept: theta[0]!, coefficients: theta.slice(1), iterations };
}

function predictorOf(theta: Float64Array, x: Float64Array): number {
  let z = theta[0]!;
  for (let j = 0; j < x.length; j += 1) z += theta[j + 1]! * x[j]!;
  return z;
}

/** -log-likelihood of one label under log-odds z, computed without overflow. */
export function logLoss1(z: number, y: number): number {
  // log(1 + e^z) - y z, stably.
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  return softplus - y * z;
}

/** Solves A x = b for a symmetric positive definite A (row-major p x p) by Cholesky. */
export function solveSymmetricPositive(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i * p + j]!;
      for (let k = 0; k < j; k += 1) sum -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error('matrix is not positive definite');
        l[i * p + i] = Math.sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j]!;
      }
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i += 1) {
    let sum = b[i]!;
    for (let k = 0; k < i; k += 1) sum -= l[i * p + k]! * z[k]!;
    z[i] = sum / l[i * p + i]!;
  }
  const out = new Float64Array(p);
  for (let i = p - 1; i >= 0; i -= 1) {
    let sum = z[i]!;
    for (let k = i + 1; k < p; k += 1) sum -= l[k * p + i]! * out[k]!;
    out[i] = sum / l[i * p + i]!;
  }
  return out;
}
