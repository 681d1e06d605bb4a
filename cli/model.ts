import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify';
import { readModelFile, Scorer, writeModelFile, type ModelArtifact } from '../models/artifact';
import { csvRows, readCsv, requireColumns } from '../models/csv';
import { defaultModelFile } from '../models/default-model';
import type { Row } from '../models/features';
import { type CalibrationBin, type Evaluation, evaluate } from '../models/metrics';
import {
  labelsOf,
  nestedCrossValidation,
  type TrainOptions,
  type TrainResult,
  trainModel,
} from '../models/train';
import { LEAD_COLUMNS } from '../processors/score/features';
import { CURRENT_MODEL_KEY } from '../processors/score/model-selector';
import type { ModelRelease, TrainingExample } from '../schemas/score-records';
import { generatedTrainingRows, LABEL, trainingRowsFromExamples } from '../tools/training-data';
import { RecordCodec } from '../runtime/codec';
import { retentionSettings } from '../config';
import { platformCatalog, TOPIC } from '../topics/platform';
import { action, openContext } from './context';
import { positiveInt } from './options';

/** The fixed generation instant of the default model's training leads (reproducibility). */
const DEFAULT_MODEL_NOW = Date.UTC(2025, 0, 15);

const out = (line = '') => process.stdout.write(`${line}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface CsvTrainingFlags {
  label: string;
  id?: string;
  categorical?: string[];
  folds: number;
  seed: string;
  classWeight: 'none' | 'balanced';
}

function withTrainingFlags(command: Command): Command {
  return command
    .option('--id <column>', 'id column (never a feature)')
    .option('--categorical <columns>', 'comma-separated columns holding codes, not magnitudes', list)
    .option('--folds <n>', 'cross-validation folds', (v) => positiveInt(v, '--folds'), 5)
    .option('--seed <s>', 'seed for the fold assignment', 'leadflow')
    .addOption(
      new Option('--class-weight <mode>', 'weight classes equally (balanced) or not (none)')
        .choices(['none', 'balanced'])
        .default('none'),
    );
}

async function readTrainingCsv(file: string, flags: CsvTrainingFlags): Promise<Row[]> {
  const rows = await readCsv(file);
  const header = Object.keys(rows[0]!);
  requireColumns(file, header, [flags.label, ...(flags.id ? [flags.id] : []), ...(flags.categorical ?? [])]);
  return rows;
}

function printCalibration(table: readonly CalibrationBin[]) {
  out('calibration by decile (predicted vs observed):');
  out('  decile  rows   predicted  observed');
  for (const b of table) {
    out(
      `  ${String(b.bin).padStart(6)}  ${String(b.rows).padStart(5)}  ${pct(b.meanPredicted).padStart(9)}  ${pct(b.observedRate).padStart(8)}`,
    );
  }
}

function printEvaluation(evaluation: Evaluation) {
  out(
    `rows ${evaluation.rows}, positives ${evaluation.positives} (${pct(evaluation.positives / evaluation.rows)})`,
  );
  out(`AUC       ${evaluation.auc.toFixed(4)}`);
  out(`log-loss  ${evaluation.logLoss.toFixed(4)}`);
  out(
    `top 20%   ${evaluation.top20.hits} of ${evaluation.top20.positives} positives in the top ${evaluation.top20.selected} rows (${pct(evaluation.top20.hitRate)} of positives)`,
  );
  printCalibration(evaluation.calibration);
}

function printTraining(result: TrainResult) {
  const { model } = result;
  out(`model ${model.version}: ${model.columns.length} columns, ${model.coefficients.length} features`);
  out('penalty chosen by cross-validation (calibrated out-of-fold log-loss):');
  for (const p of result.penalties) {
    out(
      `  ${String(p.penalty).padStart(6)}  log-loss ${p.logLoss.toFixed(4)}  AUC ${p.auc.toFixed(4)}${p.penalty === model.training.penalty ? '  <- chosen' : ''}`,
    );
  }
  out(
    `cross-validated (${model.training.crossValidation.folds}-fold, seed ${model.training.crossValidation.seed}):`,
  );
  printEvaluation(result.crossValidation);
}

function csvTrainOptions(flags: CsvTrainingFlags, source: string): TrainOptions {
  return {
    label: flags.label,
    id: flags.id,
    categorical: flags.categorical,
    folds: flags.folds,
    seed: flags.seed,
    classWeight: flags.classWeight,
    source,
  };
}

async function readTrainingExamples(): Promise<TrainingExample[]> {
  const context = openContext();
  try {
    const catalog = platformCatalog(retentionSettings(context.config));
    await context.transport.applyTopics([catalog.get(TOPIC.modelTraining)]);
    const codec = new RecordCodec(catalog, context.registry, {
      subjectPrefix: context.transport.topicPrefix,
    });
    const latest = new Map<string, TrainingExample>();
    for (const raw of await context.transport.read(TOPIC.modelTraining)) {
      const { key, value } = await codec.decode<TrainingExample | null>(raw);
      if (value === null) latest.delete(key);
      else latest.set(key, value);
    }
    return [...latest.values()];
  } finally {
    await context.transport.close();
  }
}

export function registerModel(program: Command): void {
  const model = program
    .command('model')
    .description('train, evaluate, score with and publish scoring models');

  withTrainingFlags(
    model
      .command('train')
      .description('train a calibrated model from a CSV of historical rows, or from real lead outcomes')
      .option('--data <file>', 'CSV with a header line')
      .option('--label <column>', 'the 0/1 outcome column of the CSV')
      .option('--from-topic', `learn from scored leads and their outcomes (topic ${TOPIC.modelTraining})`)
      .requiredOption('--out <file>', 'model artifact to write (JSON)'),
  ).action(
    action(async (flags: CsvTrainingFlags & { data?: string; fromTopic?: boolean; out: string }) => {
      let result: TrainResult;
      if (flags.fromTopic) {
        if (flags.data) throw new Error('give either --data or --from-topic, not both');
        const examples = await readTrainingExamples();
        if (examples.length === 0) throw new Error(`${TOPIC.modelTraining} has no labelled leads yet`);
        result = trainModel(trainingRowsFromExamples(examples), {
          label: LABEL,
          columns: LEAD_COLUMNS,
          folds: flags.folds,
          seed: flags.seed,
          classWeight: flags.classWeight,
          source: `${TOPIC.modelTraining} (${examples.length} leads with outcomes)`,
        });
      } else {
        if (!flags.data || !flags.label) throw new Error('--data and --label are required (or --from-topic)');
        const rows = await readTrainingCsv(flags.data, flags);
        result = trainModel(rows, csvTrainOptions(flags, flags.data));
      }
      writeModelFile(flags.out, result.model);
      printTraining(result);
      out(`wrote ${flags.out}`);
    }),
  );

  withTrainingFlags(
    model
      .command('cv')
      .description('nested cross-validation of the training procedure: an honest estimate on unseen rows')
      .requiredOption('--data <file>', 'CSV with a header line')
      .requiredOption('--label <column>', 'the 0/1 outcome column')
      .option('--json', 'print one JSON object'),
  ).action(
    action(async (flags: CsvTrainingFlags & { data: string; json?: boolean }) => {
      const rows = await readTrainingCsv(flags.data, flags);
      const started = Date.now();
      const result = nestedCrossValidation(rows, csvTrainOptions(flags, flags.data), (fold) => {
        if (!flags.json)
          out(
            `fold ${fold.fold}: AUC ${fold.auc.toFixed(4)}, top 20% ${fold.top20Hits}/${fold.positives} positives, penalty ${fold.penalty}`,
          );
      });
      if (flags.json) {
        out(
          JSON.stringify({
            folds: result.folds,
            pooled: result.pooled,
            seconds: (Date.now() - started) / 1000,
          }),
        );
        return;
      }
      out(`pooled over ${flags.folds} outer folds (seed ${flags.seed}):`);
      printEvaluation(result.pooled);
    }),
  );

  model
    .command('score')
    .description('score every row of a CSV: writes id,score (probability) in input order')
    .requiredOption('--model <file>', 'model artifact (JSON)')
    .requiredOption('--data <file>', 'CSV with a header line')
    .option('--id <column>', 'id column (default: the row number)')
    .requiredOption('--out <file>', 'scores CSV to write')
    .action(
      action(async (flags: { model: string; data: string; id?: string; out: string }) => {
        const scorer = new Scorer(readModelFile(flags.model));
        const output = stringify({ header: true, columns: ['id', 'score'] });
        const file = fs.createWriteStream(flags.out);
        const done = new Promise<void>((resolve, reject) => {
          file.on('finish', resolve);
          file.on('error', reject);
          output.on('error', reject);
        });
        output.pipe(file);
        let count = 0;
        for await (const { row } of csvRows(flags.data)) {
          if (count === 0) {
            requireColumns(flags.data, Object.keys(row), [
              ...(flags.id ? [flags.id] : []),
              ...scorer.model.columns.map((c) => c.column),
            ]);
          }
          count += 1;
          const id = flags.id ? row[flags.id] : String(count);
          // Unreadable cells (text in a numeric column) count as missing: a bad row still gets a score.
          if (!output.write([id, scorer.probability(row).toFixed(6)])) {
            await new Promise((resolve) => output.once('drain', resolve));
          }
        }
        output.end();
        await done;
        process.stderr.write(`scored ${count} rows with ${scorer.model.version} into ${flags.out}\n`);
      }),
    );

  model
    .command('eval')
    .description('AUC, log-loss, calibration by decile and hits in the top 20% on labelled rows')
    .requiredOption('--model <file>', 'model artifact (JSON)')
    .requiredOption('--data <file>', 'CSV with a header line')
    .requiredOption('--label <column>', 'the 0/1 outcome column')
    .option('--json', 'print one JSON object')
    .action(
      action(async (flags: { model: string; data: string; label: string; json?: boolean }) => {
        const scorer = new Scorer(readModelFile(flags.model));
        const rows = await readCsv(flags.data);
        requireColumns(flags.data, Object.keys(rows[0]!), [
          flags.label,
          ...scorer.model.columns.map((c) => c.column),
        ]);
        const labels = labelsOf(rows, flags.label);
        const evaluation = evaluate(
          rows.map((row) => scorer.probability(row)),
          labels,
        );
        if (flags.json) out(JSON.stringify({ model: scorer.model.version, ...evaluation }));
        else {
          out(`model ${scorer.model.version} on ${flags.data}`);
          printEvaluation(evaluation);
        }
      }),
    );

  model
    .command('train-default')
    .description(
      'retrain models/default-model.json from generated leads (validated, enriched) and their outcomes',
    )
    .option('--count <n>', 'leads to generate', (v) => positiveInt(v, '--count'), 20_000)
    .option('--seed <s>', 'generator and fold seed', 'default-model')
    .option('--out <file>', 'model artifact to write', defaultModelFile())
    .action(
      action(async (flags: { count: number; seed: string; out: string }) => {
        const { rows, skipped } = generatedTrainingRows({
          count: flags.count,
          seed: flags.seed,
          now: DEFAULT_MODEL_NOW,
        });
        out(`${rows.length} leads pass validation (${skipped} left out: rejected or repeat contacts)`);
        const result = trainModel(rows, {
          label: LABEL,
          columns: LEAD_COLUMNS,
          seed: flags.seed,
          source: `generator seed=${flags.seed} count=${flags.count} now=${new Date(DEFAULT_MODEL_NOW).toISOString()}`,
        });
        writeModelFile(flags.out, result.model);
        printTraining(result);
        out(`wrote ${flags.out}`);
      }),
    );

  model
    .command('publish')
    .description(
      `make a model the one the score stage uses (topic ${TOPIC.models}, key "${CURRENT_MODEL_KEY}")`,
    )
    .requiredOption('--model <file>', 'model artifact (JSON)')
    .option('--note <text>', 'why this model (kept with the release)')
    .action(
      action(async (flags: { model: string; note?: string }) => {
        const artifact: ModelArtifact = readModelFile(flags.model);
        const context = openContext();
        try {
          const catalog = platformCatalog();
          await context.transport.applyTopics([catalog.get(TOPIC.models)]);
          const codec = new RecordCodec(catalog, context.registry, {
            subjectPrefix: context.transport.topicPrefix,
          });
          await codec.prepare([TOPIC.models]);
          const release: ModelRelease = {
            version: artifact.version,
            artifact: JSON.stringify(artifact),
            publishedAt: Date.now(),
            publishedBy: 'cli',
            note: flags.note ?? null,
          };
          await context.transport.produce([codec.encode(TOPIC.models, CURRENT_MODEL_KEY, release)]);
          out(`published ${artifact.version}: the score stage uses it from its next lead`);
        } finally {
          await context.transport.close();
        }
      }),
    );
}
