/**
 * The model artifact: everything needed to score a row, as one JSON document. Its version is a
 * hash of its content, so two artifacts with the same version score identically, and the version
 * stamped on a scored lead names exactly the model that scored it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { applyPlatt, type PlattScaling } from './calibration';
import { type ColumnSpec, encodeRow, featureOwners, type Row } from './features';
import { linearPredictor } from './logistic';
import type { CalibrationBin } from './metrics';
import type { ModelReason } from '../schemas/score-records';

export const ARTIFACT_FORMAT = 'leadflow.logistic/1';

export interface CrossValidationSummary {
  folds: number;
  seed: string;
  auc: number;
  logLoss: number;
  /** Share of positives found in the top 20% of out-of-fold scores. */
  top20HitRate: number;
}

export interface TrainingInfo {
  /** Where the rows came from, e.g. a file name or "generator seed=default count=20000". */
  source: string;
  rows: number;
  positives: number;
  penalty: number;
  classWeight: 'none' | 'balanced';
  crossValidation: CrossValidationSummary;
}

export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT;
  /** "m-" + the first 16 hex digits of the SHA-256 of the rest of the artifact. */
  version: string;
  label: string;
  columns: ColumnSpec[];
  intercept: number;
  coefficients: number[];
  /** Training mean of each encoded feature: reasons are contributions relative to the average row. */
  featureMeans: number[];
  calibration: PlattScaling & { table: CalibrationBin[] };
  /** 101 quantiles (0th..100th percentile) of calibrated training probabilities: the 0-100 score. */
  scoreQuantiles: number[];
  training: TrainingInfo;
}

const words = z
  .object({
    label: z.string().optional(),
    high: z.string().optional(),
    low: z.string().optional(),
    levels: z.record(z.string(), z.string()).optional(),
  })
  .optional();

const artifactSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.string().regex(/^m-[0-9a-f]{16}$/),
  label: z.string(),
  columns: z.array(
    z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('numeric'),
        column: z.string(),
        mean: z.number(),
        scale: z.number().positive(),
        missingFlag: z.boolean(),
        words,
      }),
      z.object({ kind: z.literal('categorical'), column: z.string(), levels: z.array(z.string()), words }),
    ]),
  ),
  intercept: z.number(),
  coefficients: z.array(z.number()),
  featureMeans: z.array(z.number()),
  calibration: z.object({
    method: z.literal('platt'),
    slope: z.number(),
    intercept: z.number(),
    table: z.array(
      z.object({
        bin: z.number(),
        rows: z.number(),
        low: z.number(),
        high: z.number(),
        meanPredicted: z.number(),
        observedRate: z.number(),
      }),
    ),
  }),
  scoreQuantiles: z.array(z.number()).length(101),
  training: z.object({
    source: z.string(),
    rows: z.number(),
    positives: z.number(),
    penalty: z.number(),
    classWeight: z.enum(['none', 'balanced']),
    crossValidation: z.object({
      folds: z.number(),
      seed: z.string(),
      auc: z.number(),
      logLoss: z.number(),
      top20HitRate: z.number(),
    }),
  }),
});

export class InvalidModelError extends Error {
  override name = 'InvalidModelError';
}

export function modelVersion(artifact: Omit<ModelArtifact, 'version'>): string {
  const { version: _ignored, ...content } = artifact as ModelArtifact;
  return `m-${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}`;
}

/** Checks shape, feature count and version hash; throws InvalidModelError naming what is wrong. */
export function parseModel(json: unknown): ModelArtifact {
  const parsed = artifactSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidModelError(`model artifact: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const artifact = parsed.data as ModelArtifact;
  const width = featureOwners(artifact.columns).length;
  if (artifact.coefficients.length !== width || artifact.featureMeans.length !== width) {
    throw new InvalidModelError(
      `model artifact: ${artifact.coefficients.length} coefficients for ${width} encoded features`,
    );
  }
  const expected = modelVersion(artifact);
  if (artifact.version !== expected) {
    throw new InvalidModelError(
      `model artifact: version ${artifact.version} does not match its content (${expected}); it was edited by hand or truncated`,
    );
  }
  return artifact;
}

export function readModelFile(file: string): ModelArtifact {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read model ${file}: ${(error as Error).message}`);
  }
  try {
    return parseModel(JSON.parse(text));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

export function writeModelFile(file: string, artifact: ModelArtifact): void {
  fs.writeFileSync(file, `${JSON.stringify(artifact, null, 1)}\n`);
}

export interface Prediction {
  /** Calibrated probability of the label. */
  probability: number;
  /** 0-100: the share of training rows this row outscores. */
  score: number;
  /** Per column, log-odds relative to the average training row (before calibration). */
  contributions: { column: ColumnSpec; impact: number }[];
}

/** A compiled artifact: encodes and scores rows without re-deriving anything per call. */
export class Scorer {
  private readonly owners: number[];
  private readonly buffer: Float64Array;
  private readonly weights: Float64Array;

  constructor(readonly model: ModelArtifact) {
    this.owners = featureOwners(model.columns);
    this.buffer = new Float64Array(this.owners.length);
    this.weights = Float64Array.from(model.coefficients);
  }

  /** Uncalibrated log-odds. */
  logOdds(row: Row): number {
    return linearPredictor(
      { intercept: this.model.intercept, coefficients: this.weights },
      encodeRow(this.model.columns, row, this.buffer),
    );
  }

  probability(row: Row): number {
    return applyPlatt(this.model.calibration, this.logOdds(row));
  }

  predict(row: Row): Prediction {
    const z = this.logOdds(row);
    const probability = applyPlatt(this.model.calibration, z);
    const impacts = new Float64Array(this.model.columns.length);
    for (let j = 0; j < this.owners.length; j += 1) {
      const owner = this.owners[j]!;
      impacts[owner] = impacts[owner]! + this.weights[j]! * (this.buffer[j]! - this.model.featureMeans[j]!);
    }
    return {
      probability,
      score: scoreOf(this.model.scoreQuantiles, probability),
      contributions: this.model.columns.map((column, i) => ({ column, impact: impacts[i]! })),
    };
  }

  /** The strongest factors each way, in words; factors under `minImpact` log-odds are left out. */
  reasons(row: Row, prediction: Prediction, perDirection = 3, minImpact = 0.05): ModelReason[] {
    const described = prediction.contributions
      .filter((c) => Math.abs(c.impact) >= minImpact)
      .map((c) => describe(c.column, row, c.impact));
    const up = described.filter((r) => r.direction === 'up').sort((a, b) => b.impact - a.impact);
    const down = described.filter((r) => r.direction === 'down').sort((a, b) => a.impact - b.impact);
    return [...up.slice(0, perDirection), ...down.slice(0, perDirection)];
  }
}

/** The percentile (0-100) of a probability among the training rows' calibrated probabilities. */
export function scoreOf(quantiles: readonly number[], probability: number): number {
  if (probability <= quantiles[0]!) return 0;
  if (probability >= quantiles[100]!) return 100;
  let lo = 0;
  let hi = 100;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (quantiles[mid]! <= probability) lo = mid;
    else hi = mid;
  }
  const span = quantiles[hi]! - quantiles[lo]!;
  const fraction = span > 0 ? (probability - quantiles[lo]!) / span : 0;
  return Math.round(lo + fraction);
}

function describe(column: ColumnSpec, row: Row, impact: number): ModelReason {
  const direction = impact > 0 ? 'up' : 'down';
  const label = column.words?.label ?? column.column;
  const rounded = Math.round(impact * 1000) / 1000;
  const raw = row[column.column];
  if (column.kind === 'categorical') {
    const level = raw === null || raw === undefined || String(raw).trim() === '' ? null : String(raw).trim();
    const text =
      level === null ? `${label}: not given` : (column.words?.levels?.[level] ?? `${label}: ${level}`);
    return { code: `${column.column}=${level ?? 'none'}`, direction, text, impact: rounded };
  }
  const value = raw === null || raw === undefined || raw === '' ? null : Number(raw);
  if (value === null || !Number.isFinite(value)) {
    return { code: `${column.column}:missing`, direction, text: `${label}: not given`, impact: rounded };
  }
  const high = value >= column.mean;
  const text = high
    ? (column.words?.high ?? `${label} is above average`)
    : (column.words?.low ?? `${label} is below average`);
  return { code: column.column, direction, text, impact: rounded };
}
