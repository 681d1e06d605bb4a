import type { Command } from 'commander';
import type { RewardEvent } from '../schemas/reward-records';
import { RecordCodec } from '../runtime/codec';
import { openSinkDatabase } from '../sinks';
import { runPayouts } from '../sinks/postgres/rewards-payouts';
import { platformCatalog, TOPIC } from '../topics/platform';
import { action, openContext } from './context';
import { printTable } from './topics';

export function registerPayouts(program: Command): void {
  const payouts = program.command('payouts').description('referral partner payouts');
  payouts
    .command('run')
    .description('create one payout batch per partner for a period from its ledger balance (idempotent)')
    .requiredOption('--period <YYYY-MM>', 'the period to pay, e.g. 2026-11')
    .option('--json', 'print one JSON object')
    .action(
      action(async (options: { period: string; json?: boolean }) => {
        const { config, transport, registry } = openContext();
        const database = await openSinkDatabase(config);
        try {
          if (!database) {
            throw new Error('payouts read the ledger from the database: on Kafka set DATABASE_URL');
          }
          const codec = new RecordCodec(platformCatalog(), registry, {
            subjectPrefix: transport.topicPrefix,
          });
          await codec.prepare([TOPIC.rewards]);
          const run = await runPayouts(database, options.period, (entries: RewardEvent[]) =>
            transport.produce(entries.map((e) => codec.encode(TOPIC.rewards, e.accountId, e))),
          );
          if (options.json) {
            process.stdout.write(`${JSON.stringify(run)}\n`);
            return;
          }
          if (run.batches.length === 0) process.stdout.write(`nothing to pay for ${run.period}\n`);
          else
            printTable(
              ['BATCH', 'PARTNER', 'USD', 'NEW'],
              run.batches.map((b) => [
                b.batchId,
                b.partnerId,
                (b.amountCents / 100).toFixed(2),
                b.created ? 'yes' : 'no',
              ]),
            );
          for (const h of run.held) {
            process.stdout.write(
              `held: ${h.partnerId} (${h.status}) ${(h.balanceCents / 100).toFixed(2)} USD\n`,
            );
          }
        } finally {
          await database?.close();
          await transport.close();
        }
      }),
    );
}
