import type { Command } from 'commander';
import { parsePosition, type ReplayPlan } from '../runtime/replay/plan';
import { ReplayRunner } from '../runtime/replay/runner';
import { topologyStages } from '../app/topology';
import { retentionSettings } from '../config';
import { platformCatalog } from '../topics/platform';
import { printTable } from './topics';
import { action, openContext } from './context';
import { openKeyVault } from '../app/privacy/key-vault';

interface ReplayOptions {
  stage: string;
  from: string;
  to?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      "re-run one stage's input through it (e.g. after a new scoring model); outputs carry lf-replay",
    )
    .requiredOption('--stage <name>', 'the stage, e.g. validate or score')
    .requiredOption(
      '--from <position>',
      'where to start: a time (2026-01-31T08:00:00Z), an offset (1200), partition:offset pairs (0:1200,3:800) or earliest',
    )
    .option('--to <position>', 'where to stop (exclusive; default: the end of the input now)')
    .option('--dry-run', 'print what would be re-run, per partition, and stop')
    .option('--json', 'print JSON')
    .action(
      action(async (options: ReplayOptions) => {
        const from = parsePosition(options.from, '--from');
        const to = options.to === undefined ? undefined : parsePosition(options.to, '--to');
        const { config, log, transport, registry } = openContext();
        const vault = await openKeyVault(config, transport, log);
        try {
          // The stages that need no database or AI service; sink stages are replayed through the
          // API of the process that owns their database (POST /v1/admin/replay).
          const runner = new ReplayRunner({
            transport,
            registry,
            appId: config.LEADFLOW_APP_ID,
            catalog: platformCatalog(retentionSettings(config)),
            stages: topologyStages(config),
            log,
            keys: vault,
          });
          const plan = await runner.plan(options.stage, from, to);
          if (options.dryRun) {
            printPlan(plan, options.json);
            return;
          }
          const started = Date.now();
          let reported = 0;
          const progress = await runner.run(plan, {
            onProgress: (p) => {
              const done = p.reduce((sum, r) => sum + r.done, 0);
              if (!options.json && Date.now() - reported > 2000) {
                reported = Date.now();
                process.stderr.write(`replayed ${done} of ${plan.records}\n`);
              }
            },
          });
          const seconds = (Date.now() - started) / 1000;
          if (options.json) {
            process.stdout.write(
              `${JSON.stringify({ stage: plan.stage, records: plan.records, seconds, partitions: progress })}\n`,
            );
          } else {
            process.stdout.write(
              `replayed ${plan.records} records of ${plan.stage} in ${seconds.toFixed(1)} s\n`,
            );
          }
        } finally {
          await vault.stop();
          await transport.close();
        }
      }),
    );
}

function printPlan(plan: ReplayPlan, json: boolean | undefined) {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ stage: plan.stage, dry_run: true, records: plan.records, partitions: plan.ranges })}\n`,
    );
    return;
  }
  process.stdout.write(`would re-run ${plan.records} records through ${plan.stage}:\n`);
  printTable(
    ['TOPIC', 'PARTITION', 'FROM', 'TO', 'RECORDS'],
    plan.ranges.map((r) => [r.topic, String(r.partition), String(r.from), String(r.to), String(r.records)]),
  );
}
