/**
 * `leadflow model train|score|eval|publish` as a user runs them, on a slice of COIL 2000 and on
 * deliberately bad files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readModelFile } from '../../models/artifact';
import { runCli } from '../support/cli';

jest.setTimeout(180_000);

const COIL = path.join(__dirname, '..', '..', '..', 'shared', 'data', 'coil2000', 'train.csv');
let dir: string;
let trainFile: string;
let testFile: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-model-cli-'));
  const lines = fs.readFileSync(COIL, 'utf8').trim().split('\n');
  trainFile = path.join(dir, 'train.csv');
  testFile = path.join(dir, 'test.csv');
  fs.writeFileSync(trainFile, [lines[0], ...lines.slice(1, 1501)].join('\n'));
  // The holdout without ids, with one unreadable cell: scoring still gives every row a score.
  const header = lines[0]!.split(',').slice(1).join(',');
  const rows = lines.slice(4001, 4401).map((l) => l.split(',').slice(1).join(','));
  rows[5] = rows[5]!.replace(/^\d+/, 'oops');
  fs.writeFileSync(testFile, [header, ...rows].join('\n'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('train, then score and evaluate unseen rows', () => {
  const model = path.join(dir, 'model.json');
  const train = runCli([
    'model',
    'train',
    '--data',
    trainFile,
    '--label',
    'CARAVAN',
    '--id',
    'id',
    '--categorical',
    'MOSTYPE,MOSHOOFD',
    '--folds',
    '3',
    '--out',
    model,
  ]);
  expect(train.stderr).toBe('');
  expect(train.status).toBe(0);
  expect(train.stdout).toMatch(/<- chosen/);
  expect(train.stdout).toMatch(/AUC\s+0\.\d{4}/);
  const artifact = readModelFile(model);
  expect(artifact.training).toMatchObject({ rows: 1500, source: trainFile });

  const scores = path.join(dir, 'scores.csv');
  const score = runCli(['model', 'score', '--model', model, '--data', testFile, '--out', scores]);
  expect(score.status).toBe(0);
  const written = parse(fs.readFileSync(scores, 'utf8'), { columns: true }) as {
    id: string;
    score: string;
  }[];
  expect(written).toHaveLength(400);
  expect(written.map((r) => r.id)).toEqual(Array.from({ length: 400 }, (_, i) => String(i + 1)));
  for (const row of written) {
    expect(Number(row.score)).toBeGreaterThanOrEqual(0);
    expect(Number(row.score)).toBeLessThanOrEqual(1);
  }

  const evaluation = runCli([
    'model',
    'eval',
    '--model',
    model,
    '--data',
    testFile,
    '--label',
    'CARAVAN',
    '--json',
  ]);
  expect(evaluation.status).toBe(0);
  const result = JSON.parse(evaluation.stdout);
  expect(result.model).toBe(artifact.version);
  expect(result.rows).toBe(400);
  expect(result.auc).toBeGreaterThan(0.6);
  expect(result.calibration).toHaveLength(10);
  expect(result.top20.selected).toBe(80);
});

test('bad input is refused with a message that names the problem', () => {
  const model = path.join(dir, 'never.json');
  const noLabel = runCli(['model', 'train', '--data', trainFile, '--label', 'NOPE', '--out', model]);
  expect(noLabel.status).toBe(1);
  expect(noLabel.stderr).toMatch(/has no column "NOPE"/);

  const badLabels = path.join(dir, 'bad-labels.csv');
  fs.writeFileSync(badLabels, 'x,y\n1,0\n2,maybe\n');
  const labels = runCli(['model', 'train', '--data', badLabels, '--label', 'y', '--out', model]);
  expect(labels.stderr).toMatch(/row 2: label column "y"/);

  const notAModel = path.join(dir, 'not-a-model.json');
  fs.writeFileSync(notAModel, '{"format": "something else"}');
  const score = runCli([
    'model',
    'score',
    '--model',
    notAModel,
    '--data',
    testFile,
    '--out',
    path.join(dir, 's.csv'),
  ]);
  expect(score.status).toBe(1);
  expect(score.stderr).toMatch(/not-a-model.json: model artifact: format/);

  const missing = runCli([
    'model',
    'eval',
    '--model',
    path.join(dir, 'model.json'),
    '--data',
    '/nope.csv',
    '--label',
    'y',
  ]);
  expect(missing.stderr).toMatch(/no such file: \/nope.csv/);
});

test('publish writes a release to the models topic', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-publish-'));
  try {
    const env = { LEADFLOW_TRANSPORT: 'embedded', LEADFLOW_DATA_DIR: dataDir };
    const published = runCli(
      ['model', 'publish', '--model', path.join(dir, 'model.json'), '--note', 'test'],
      env,
    );
    expect(published.stderr).toBe('');
    expect(published.stdout).toMatch(/^published m-[0-9a-f]{16}/);
    const topics = runCli(['topics', 'list'], env);
    expect(topics.stdout).toMatch(/^models\s+1\s+compact/m);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
