import { fitLogistic, sigmoid } from './logistic';

/**
 * Platt scaling: calibrated p = sigmoid(slope * z + intercept) over the model's log-odds z, fitted
 * on out-of-fold predictions (scores the model made for rows it was not trained on), so it
 * corrects the shrinkage the penalty puts on in-sample scores without overfitting. Two parameters
 * are safe with a rare class, where isotonic regression's steps would chase a few positives.
 */
export interface PlattScaling {
  method: 'platt';
  slope: number;
  intercept: number;
}

export function fitPlatt(logOdds: ArrayLike<number>, labels: ArrayLike<number>): PlattScaling {
  const x = Array.from(logOdds, (z) => Float64Array.of(z));
  // A whisper of penalty keeps the slope finite when the classes separate perfectly.
  const fit = fitLogistic(x, labels, { penalty: 1e-6 });
  return { method: 'platt', slope: fit.coefficients[0]!, intercept: fit.intercept };
}

export function applyPlatt(scaling: PlattScaling, logOdds: number): number {
  return sigmoid(scaling.slope * logOdds + scaling.intercept);
}
