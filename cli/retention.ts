import type { Command } from 'commander';
import { retentionSettings } from '../config';
import { createLogger } from '../runtime/log';
import { openSinkDatabase } from '../sinks';
import { purgeExpired } from '../sinks/postgres/retention';
import { action, loadCliConfig } from './context';
import { printTable } from './topics';

export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description('data classes kept no longer than RETENTION_*_DAYS (docs/operations.md#retention)');

  retention
    .command('purge')
    .description(
      'remove the contact details of read-model rows past their retention now (the process running postgres-leads does it hourly); topics drop theirs themselves',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        // Its own log line would mix into what it prints: warnings only, unless asked.
        const config = loadCliConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
        const database = await openSinkDatabase(config);
        if (!database) {
          throw new Error(
            'no read models to purge: on Kafka the sinks write to PostgreSQL, so set DATABASE_URL',
          );
        }
        try {
          const purged = await purgeExpired(database, retentionSettings(config), {
            log: createLogger(config.LOG_LEVEL),
          });
          if (options.json) process.stdout.write(`${JSON.stringify(purged)}\n`);
          else
            printTable(
              ['CLASS', 'LEAD_EVENTS', 'LEADS'],
              Object.entries(purged).map(([dataClass, rows]) => [
                dataClass,
                String(rows.leadEvents),
                String(rows.leads),
              ]),
            );
        } finally {
          await database.close();
        }
      }),
    );
}
