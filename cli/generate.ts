import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { generateLeads } from '../tools/generator/generate';
import { toCsv, toNdjson } from '../connectors/files/format';
import { positiveInt, share } from './options';
import { action } from './context';

export function registerGenerate(program: Command): void {
  const generate = program.command('generate').description('generate realistic test data');

  generate
    .command('leads')
    .description('write realistic leads (NDJSON lines are valid lead API bodies) and their hidden outcomes')
    .requiredOption('--count <n>', 'number of leads', (v) => positiveInt(v, '--count'))
    .option('--seed <s>', 'seed: the same seed gives the same file', 'leadflow')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
    .option(
      '--bad-share <f>',
      'share of deliberately bad records (0..1)',
      (v) => share(v, '--bad-share'),
      0.12,
    )
    .option('--now <iso>', 'generation instant (default: start of today, UTC)')
    .requiredOption('--out <file>', 'leads file')
    .option('--outcomes <file>', 'outcomes file (default: <out>.outcomes.ndjson)')
    .action(
      action(
        async (options: {
          count: number;
          seed: string;
          format: 'ndjson' | 'csv';
          badShare: number;
          now?: string;
          out: string;
          outcomes?: string;
        }) => {
          const now = options.now === undefined ? undefined : Date.parse(options.now);
          if (now !== undefined && Number.isNaN(now))
            throw new Error(`--now must be an ISO date, got "${options.now}"`);
          const { leads, outcomes } = generateLeads({
            count: options.count,
            seed: options.seed,
            badShare: options.badShare,
            now,
          });
          fs.writeFileSync(options.out, options.format === 'csv' ? toCsv(leads) : toNdjson(leads));
          const outcomesFile = options.outcomes ?? `${options.out}.outcomes.ndjson`;
          fs.writeFileSync(outcomesFile, toNdjson(outcomes));
          const bad = outcomes.filter((o) => o.badKind).length;
          process.stderr.write(
            `wrote ${leads.length} leads (${bad} deliberately bad) to ${options.out}, outcomes to ${outcomesFile}\n`,
          );
        },
      ),
    );
}
