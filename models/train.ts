/**
 * Training: features learned from the rows, the penalty chosen by stratified k-fold
 * cross-validation, Platt calibration fitted on the out-of-fold scores, then one final fit on all
 * rows. `nestedCrossValidation` wraps the whole procedure in an outer loop for an honest estimate
 * of how a model trained this way does on rows it has never seen.
 */
import { createRng } from './prng';
import { ARTIFACT_FORMAT, type ModelArtifact, modelVersion } from './artifact';
import { applyPlatt, fitPlatt } from './calibration';
import { type ColumnHint, encodeRow, inferColumns, type Row } from './features';
import { fitLogistic, type LogisticFit, linearPredictor } from './logistic';
import { type Evaluation, auc, calibrationTable, evaluate, logLoss, topShareHits } from './metrics';

/**
 * Penalties tried, strongest first (each fit starts from the previous one). Features are
 * standardised, so the same grid suits tables of any width; the range spans "a few strong
 * effects" to "nearly unpenalised".
 */
export const PENALTY_GRID = [3000, 1000, 300, 100, 30, 10, 3, 1] as const;

export interface TrainOptions {
  label: string;
  /** An id column, never used as a feature. */
  id?: string;
  /** Columns holding codes rather than magnitudes. */
  categorical?: readonly string[];
  /** Use exactly these columns (with kinds and words); default: all but label and id. */
  columns?: readonly ColumnHint[];
  folds?: number;
  seed?: string;
  penalties?: readonly number[];
  /**
   * `none` (default): plain likelihood, so the fit's probabilities already mean something and
   * calibration only corrects the penalty's shrinkage. `balanced` weights each class to half the
   * total; it changes rankings little for a linear model and needs a larger calibration shift.
   */
  classWeight?: 'none' | 'balanced';
  /** Where the rows came from, recorded in the artifact. */
  source: string;
}

export interface PenaltyResult {
  penalty: number;
  /** Out-of-fold log-loss after Platt calibration: the selection criterion. */
  logLoss: number;
  auc: number;
}

export interface TrainResult {
  model: ModelArtifact;
  penalties: PenaltyResult[];
  /** Calibrated out-of-fold probabilities of the chosen penalty, in row order. */
  outOfFold: Float64Array;
  crossValidation: Evaluation;
}

/** 0/1 labels from a column; accepts 0/1, true/false and yes/no, and names the first bad row. */
export function labelsOf(rows: readonly Row[], label: string): Int8Array {
  const out = new Int8Array(rows.length);
  rows.forEach((row, i) => {
    const cell = row[label];
    const text = cell === null || cell === undefined ? '' : String(cell).trim().toLowerCase();
    if (text === '1' || text === 'true' || text === 'yes') out[i] = 1;
    else if (text === '0' || text === 'false' || text === 'no') out[i] = 0;
    else
      throw new Error(
        `row ${i + 1}: label column "${label}" must be 0/1, true/false or yes/no, got "${String(cell ?? '')}"`,
      );
  });
  return out;
}

/** Fold number of each row; each fold gets its share of positives and of negatives. */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed: string): Int32Array {
  const rng = createRng(`leadflow-folds/${seed}`);
  const assignment = new Int32Array(labels.length);
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i += 1) if (labels[i] === cls) members.push(i);
    for (let i = members.length - 1; i > 0; i -= 1) {
      const j = rng.int(0, i);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    members.forEach((row, k) => (assignment[row] = k % folds));
  }
  return assignment;
}

function classWeights(labels: Int8Array, mode: 'none' | 'balanced'): Float64Array {
  const weights = new Float64Array(labels.length).fill(1);
  if (mode === 'none') return weights;
  let positives = 0;
  for (const y of labels) positives += y;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return weights;
  for (let i = 0; i < labels.length; i += 1)
    weights[i] = labels[i] === 1 ? labels.length / (2 * positives) : labels.length / (2 * negatives);
  return weights;
}

const subset = <T>(items: ArrayLike<T>, indices: readonly number[]): T[] => indices.map((i) => items[i]!);

export function trainModel(rows: readonly Row[], options: TrainOptions): TrainResult {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 'leadflow';
  const grid = [...(options.penalties ?? PENALTY_GRID)].sort((a, b) => b - a);
  const classWeight = options.classWeight ?? 'none';
  const labels = labelsOf(rows, options.label);
  if (rows.length < folds * 2)
    throw new Error(`need at least ${folds * 2} rows to train, got ${rows.length}`);
  const positives = labels.reduce((a, b) => a + b, 0);
  if (positives < folds || rows.length - positives < folds) {
    throw new Error(
      `label "${options.label}" has ${positives} positive and ${rows.length - positives} negative rows; each class needs at least ${folds} (one per fold)`,
    );
  }
  const columns = inferColumns(rows, {
    columns: options.columns,
    exclude: [options.label, ...(options.id ? [options.id] : [])],
    categorical: options.categorical,
  });
  if (columns.length === 0) throw new Error('no usable feature columns (all constant or empty)');
  const x = rows.map((row) => encodeRow(columns, row));
  const weights = classWeights(labels, classWeight);
  const fold = stratifiedFolds(labels, folds, seed);

  // Out-of-fold log-odds for every penalty, fitting each fold along the grid with warm starts.
  const outOfFold = grid.map(() => new Float64Array(rows.length));
  for (let f = 0; f < folds; f += 1) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < rows.length; i += 1) (fold[i] === f ? test : train).push(i);
    const trainX = subset(x, train);
    const trainY = Int8Array.from(subset(labels, train));
    const trainW = Float64Array.from(subset(weights, train));
    let previous: LogisticFit | undefined;
    grid.forEach((penalty, g) => {
      previous = fitLogistic(trainX, trainY, { penalty, weights: trainW, start: previous });
      for (const i of test) outOfFold[g]![i] = linearPredictor(previous, x[i]!);
    });
  }
  const penalties: PenaltyResult[] = grid.map((penalty, g) => {
    const platt = fitPlatt(outOfFold[g]!, labels);
    const calibrated = Array.from(outOfFold[g]!, (z) => applyPlatt(platt, z));
    return { penalty, logLoss: logLoss(calibrated, labels), auc: auc(outOfFold[g]!, labels) };
  });
  const best = penalties.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
  const bestIndex = penalties.indexOf(best);
  const platt = fitPlatt(outOfFold[bestIndex]!, labels);
  const calibratedOutOfFold = Float64Array.from(outOfFold[bestIndex]!, (z) => applyPlatt(platt, z));
  const crossValidation = evaluate(calibratedOutOfFold, labels);

  const final = fitLogistic(x, labels, { penalty: best.penalty, weights });
  const width = x[0]!.length;
  const featureMeans = new Array<number>(width).fill(0);
  for (const row of x) for (let j = 0; j < width; j += 1) featureMeans[j]! += row[j]! / rows.length;
  const inSample = x.map((row) => applyPlatt(platt, linearPredictor(final, row))).sort((a, b) => a - b);
  const scoreQuantiles = Array.from(
    { length: 101 },
    (_, q) => inSample[Math.min(inSample.length - 1, Math.round((q / 100) * (inSample.length - 1)))]!,
  );

  const content: Omit<ModelArtifact, 'version'> = {
    format: ARTIFACT_FORMAT,
    label: options.label,
    columns,
    intercept: final.intercept,
    coefficients: Array.from(final.coefficients),
    featureMeans,
    calibration: { ...platt, table: calibrationTable(calibratedOutOfFold, labels) },
    scoreQuantiles,
    training: {
      source: options.source,
      rows: rows.length,
      positives,
      penalty: best.penalty,
      classWeight,
      crossValidation: {
        folds,
        seed,
        auc: crossValidation.auc,
        logLoss: crossValidation.logLoss,
        top20HitRate: crossValidation.top20.hitRate,
      },
    },
  };
  return {
    model: { ...content, version: modelVersion(content) } as ModelArtifact,
    penalties,
    outOfFold: calibratedOutOfFold,
    crossValidation,
  };
}

export interface NestedFold {
  fold: number;
  rows: number;
  positives: number;
  penalty: number;
  auc: number;
  top20Hits: number;
  top20Selected: number;
}

export interface NestedResult {
  folds: NestedFold[];
  /** All outer test rows pooled (each scored by the model that never saw it). */
  pooled: Evaluation;
}

/**
 * Outer k-fold around the whole training procedure (feature spec, penalty choice, calibration):
 * every row is scored once by a model trained without it.
 */
export function nestedCrossValidation(
  rows: readonly Row[],
  options: TrainOptions,
  onFold?: (fold: NestedFold) => void,
): NestedResult {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 'leadflow';
  const labels = labelsOf(rows, options.label);
  const outer = stratifiedFolds(labels, folds, `${seed}/outer`);
  const predictions = new Float64Array(rows.length);
  const results: NestedFold[] = [];
  for (let f = 0; f < folds; f += 1) {
    const trainRows = rows.filter((_, i) => outer[i] !== f);
    const testIndex = rows.map((_, i) => i).filter((i) => outer[i] === f);
    const { model } = trainModel(trainRows, { ...options, seed: `${seed}/inner-${f}` });
    const platt = model.calibration;
    const fit = { intercept: model.intercept, coefficients: Float64Array.from(model.coefficients) };
    const scores = testIndex.map((i) =>
      applyPlatt(platt, linearPredictor(fit, encodeRow(model.columns, rows[i]!))),
    );
    const testLabels = testIndex.map((i) => labels[i]!);
    scores.forEach((p, k) => (predictions[testIndex[k]!] = p));
    const top = topShareHits(scores, testLabels, 0.2);
    const result: NestedFold = {
      fold: f + 1,
      rows: testIndex.length,
      positives: top.positives,
      penalty: model.training.penalty,
      auc: auc(scores, testLabels),
      top20Hits: top.hits,
      top20Selected: top.selected,
    };
    results.push(result);
    onFold?.(result);
  }
  return { folds: results, pooled: evaluate(predictions, labels) };
}
