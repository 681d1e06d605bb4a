/** Evaluation of probability scores against 0/1 labels: ranking, likelihood and calibration. */

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting half (Mann-Whitney U over average ranks). NaN without both classes.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) {
      if (labels[order[k]!] === 1) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log-likelihood; probabilities are clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i += 1) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probabilities.length;
}

export interface TopShareHits {
  /** Rows selected: the top `share` of all rows by score (rounded). */
  selected: number;
  /** Positives among them. */
  hits: number;
  positives: number;
  /** hits / positives: the share of all positives the selection finds. */
  hitRate: number;
}

/**
 * Positives among the highest-scoring `share` of rows (COIL 2000's measure: 800 of 4,000). Ties
 * at the cut are broken by input order, as a mailing list would be.
 */
export function topShareHits(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  share = 0.2,
): TopShareHits {
  const n = scores.length;
  const selected = Math.round(n * share);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let hits = 0;
  let positives = 0;
  for (let k = 0; k < n; k += 1) {
    if (labels[order[k]!] !== 1) continue;
    positives += 1;
    if (k < selected) hits += 1;
  }
  return { selected, hits, positives, hitRate: positives === 0 ? NaN : hits / positives };
}

export interface CalibrationBin {
  /** Bins are equal-count groups of rows sorted by predicted probability, lowest first. */
  bin: number;
  rows: number;
  /** Range of predicted probabilities in the bin. */
  low: number;
  high: number;
  meanPredicted: number;
  observedRate: number;
}

/** Predicted against observed rate in `bins` equal-count groups (deciles by default). */
export function calibrationTable(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): CalibrationBin[] {
  const n = probabilities.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]!);
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b += 1) {
    const from = Math.floor((b * n) / bins);
    const to = Math.floor(((b + 1) * n) / bins);
    if (to <= from) continue;
    let predicted = 0;
    let observed = 0;
    for (let k = from; k < to; k += 1) {
      predicted += probabilities[order[k]!]!;
      observed += labels[order[k]!]!;
    }
    table.push({
      bin: b + 1,
      rows: to - from,
      low: probabilities[order[from]!]!,
      high: probabilities[order[to - 1]!]!,
      meanPredicted: predicted / (to - from),
      observedRate: observed / (to - from),
    });
  }
  return table;
}

/**
 * Expected calibration error over a table: the row-weighted mean gap between predicted and
 * observed rates. Zero for perfectly calibrated bins.
 */
export function calibrationError(table: readonly CalibrationBin[]): number {
  const rows = table.reduce((sum, b) => sum + b.rows, 0);
  return table.reduce((sum, b) => sum + (b.rows / rows) * Math.abs(b.meanPredicted - b.observedRate), 0);
}

export interface Evaluation {
  rows: number;
  positives: number;
  auc: number;
  logLoss: number;
  top20: TopShareHits;
  calibration: CalibrationBin[];
  calibrationError: number;
}

export function evaluate(probabilities: ArrayLike<number>, labels: ArrayLike<number>): Evaluation {
  const calibration = calibrationTable(probabilities, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i += 1) positives += labels[i]!;
  return {
    rows: probabilities.length,
    positives,
    auc: auc(probabilities, labels),
    logLoss: logLoss(probabilities, labels),
    top20: topShareHits(probabilities, labels, 0.2),
    calibration,
    calibrationError: calibrationError(calibration),
  };
}
