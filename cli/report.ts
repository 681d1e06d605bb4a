import { Argument, type Command } from 'commander';
import { checkRange, parseDay } from '../sinks/postgres/analytics';
import { toCsv } from '../sinks/postgres/read-models';
import { REPORTS } from '../sinks/postgres/reports';
import { openSinkDatabase } from '../sinks';
import { action, openContext } from './context';
import { printTable } from './topics';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'analytics from the read models: leads per stage, drop-off, conversion by vendor or line, rejections by reason, vendor scorecards (quality, cost, revenue and margin per vendor or per vendor and campaign), ping-post buyers (leads bought, exclusive and shared, revenue, credits and net revenue per buyer; by the day bought, the last 30 days unless --from or --to is given), agent ranking, score accuracy against outcomes, rewards program figures',
    )
    .addArgument(new Argument('<report>', 'which report').choices(Object.keys(REPORTS)))
    .option('--from <date>', 'first day leads were received (bought, for buyers), YYYY-MM-DD (UTC)', (v) =>
      parseDay(v, '--from'),
    )
    .option('--to <date>', 'last day leads were received (bought, for buyers), YYYY-MM-DD (UTC)', (v) =>
      parseDay(v, '--to'),
    )
    .option('--csv', 'print CSV')
    .action(
      action(async (report: string, options: { from?: string; to?: string; csv?: boolean }) => {
        const range = checkRange({ from: options.from, to: options.to });
        const { config, transport } = openContext();
        await transport.close();
        const database = await openSinkDatabase(config);
        if (!database) {
          throw new Error(
            'no database to report from: on Kafka the sinks write to PostgreSQL, so set DATABASE_URL',
          );
        }
        try {
          const rows = await REPORTS[report]!(database, range);
          if (options.csv) process.stdout.write(toCsv(rows));
          else if (rows.length === 0) process.stdout.write('no leads in the read models for this range\n');
          else {
            printTable(
              Object.keys(rows[0]!).map((column) => column.toUpperCase()),
              rows.map((row) => Object.values(row).map((value) => (value === null ? '-' : String(value)))),
            );
          }
        } finally {
          await database.close();
        }
      }),
    );
}
