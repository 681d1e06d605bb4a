import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidModelError, parseModel, readModelFile, Scorer, scoreOf, writeModelFile } from './artifact';
import { readCsv } from './csv';
import { auc } from './metrics';
import { labelsOf, nestedCrossValidation, stratifiedFolds, trainModel } from './train';

const COIL = path.join(__dirname, '..', '..', 'shared', 'data', 'coil2000', 'train.csv');

describe('training on COIL 2000 (a subsample, for speed)', () => {
  let rows: Record<string, string>[];
  let train: Record<string, string>[];
  let holdout: Record<string, string>[];
  let trained: ReturnType<typeof trainModel>;
  const options = {
    label: 'CARAVAN',
    id: 'id',
    categorical: ['MOSTYPE', 'MOSHOOFD'],
    penalties: [1000, 100, 10],
    source: 'coil subsample',
  };

  beforeAll(async () => {
    rows = await readCsv(COIL);
    train = rows.slice(0, 2000);
    holdout = rows.slice(4000);
    trained = trainModel(train, options);
  });

  test('the model ranks unseen customers well above chance and its probabilities are calibrated', () => {
    const { model, penalties, crossValidation } = trained;
    expect(penalties.map((p) => p.penalty)).toEqual([1000, 100, 10]);
    expect(crossValidation.auc).toBeGreaterThan(0.66);

    const scorer = new Scorer(model);
    const probabilities = holdout.map((row) => scorer.probability(row));
    const labels = labelsOf(holdout, 'CARAVAN');
    expect(auc(probabilities, labels)).toBeGreaterThan(0.68);
    const meanPredicted = probabilities.reduce((a, b) => a + b, 0) / probabilities.length;
    const observed = labels.reduce((a, b) => a + b, 0) / labels.length;
    expect(Math.abs(meanPredicted - observed)).toBeLessThan(0.02);
  });

  test('coded categorical columns are one-hot levels, not magnitudes; the id is not a feature', () => {
    const { model } = trained;
    const mostype = model.columns.find((c) => c.column === 'MOSTYPE');
    expect(mostype?.kind).toBe('categorical');
    expect(mostype?.kind === 'categorical' && mostype.levels.length).toBeGreaterThan(10);
    expect(model.columns.find((c) => c.column === 'MGEMLEEF')?.kind).toBe('numeric');
    expect(model.columns.some((c) => c.column === 'id' || c.column === 'CARAVAN')).toBe(false);
  });

  test('nested cross-validation scores every row once, by a model that never saw it', () => {
    const small = rows.slice(0, 1000);
    const folds: number[] = [];
    const result = nestedCrossValidation(small, { ...options, folds: 3, penalties: [100] }, (f) =>
      folds.push(f.fold),
    );
    expect(folds).toEqual([1, 2, 3]);
    expect(result.pooled.rows).toBe(1000);
    expect(result.folds.reduce((n, f) => n + f.rows, 0)).toBe(1000);
    expect(result.pooled.auc).toBeGreaterThan(0.6);
  });

  test('the artifact round-trips through a file and refuses hand edits', () => {
    const { model } = trainModel(rows.slice(0, 800), { ...options, penalties: [100] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-model-')), 'model.json');
    writeModelFile(file, model);
    const back = readModelFile(file);
    expect(back.version).toBe(model.version);
    expect(new Scorer(back).probability(rows[900]!)).toBeCloseTo(
      new Scorer(model).probability(rows[900]!),
      12,
    );

    const edited = { ...model, intercept: model.intercept + 1 };
    expect(() => parseModel(edited)).toThrow(/does not match its content/);
    expect(() => parseModel({ ...model, coefficients: model.coefficients.slice(1) })).toThrow(
      InvalidModelError,
    );
    expect(() => parseModel({ format: 'x' })).toThrow(/model artifact: format/);
  });

  test('reasons name the strongest factors each way', () => {
    const { model } = trained;
    const scorer = new Scorer(model);
    const row = holdout[0]!;
    const prediction = scorer.predict(row);
    const reasons = scorer.reasons(row, prediction);
    expect(reasons.length).toBeGreaterThan(0);
    const up = reasons.filter((r) => r.direction === 'up');
    const down = reasons.filter((r) => r.direction === 'down');
    expect(up.every((r) => r.impact > 0)).toBe(true);
    expect(down.every((r) => r.impact < 0)).toBe(true);
    expect(up.map((r) => r.impact)).toEqual([...up.map((r) => r.impact)].sort((a, b) => b - a));
    // Contributions are relative to the average row: they add up to the log-odds minus the average's.
    const total = prediction.contributions.reduce((s, c) => s + c.impact, 0);
    const averageLogOdds =
      model.intercept + model.coefficients.reduce((s, w, j) => s + w * model.featureMeans[j]!, 0);
    expect(total).toBeCloseTo(scorer.logOdds(row) - averageLogOdds, 8);
  });
});

describe('training helpers', () => {
  test('stratified folds spread each class evenly and depend only on the seed', () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const folds = stratifiedFolds(labels, 5, 's');
    for (let f = 0; f < 5; f += 1) {
      const positives = labels.filter((y, i) => y === 1 && folds[i] === f).length;
      expect(positives === 2 || positives === 3).toBe(true);
    }
    expect(Array.from(stratifiedFolds(labels, 5, 's'))).toEqual(Array.from(folds));
    expect(Array.from(stratifiedFolds(labels, 5, 'other'))).not.toEqual(Array.from(folds));
  });

  test('labels must be 0/1, true/false or yes/no; the first bad row is named', () => {
    expect(Array.from(labelsOf([{ y: '1' }, { y: 'no' }, { y: 'TRUE' }], 'y'))).toEqual([1, 0, 1]);
    expect(() => labelsOf([{ y: '1' }, { y: 'maybe' }], 'y')).toThrow(/row 2: label column "y".*"maybe"/);
  });

  test('a label without both classes in every fold is refused with the counts', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ x: String(i), y: i < 3 ? '1' : '0' }));
    expect(() => trainModel(rows, { label: 'y', source: 't' })).toThrow(/3 positive and 47 negative/);
  });

  test('scoreOf maps a probability to its percentile among training rows', () => {
    const quantiles = Array.from({ length: 101 }, (_, q) => q / 100);
    expect(scoreOf(quantiles, 0.5)).toBe(50);
    expect(scoreOf(quantiles, 0.755)).toBe(76);
    expect(scoreOf(quantiles, -1)).toBe(0);
    expect(scoreOf(quantiles, 2)).toBe(100);
  });
});
