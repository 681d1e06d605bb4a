import type { Command } from 'commander';
import { createVectorIndex } from '../app/ai-services';
import { openSinkDatabase } from '../sinks';
import { neighbourConversionRate } from '../sinks/vectors/index';
import { action, openContext } from './context';
import { positiveInt } from './options';
import { printTable } from './topics';

export function registerSimilar(program: Command): void {
  program
    .command('similar')
    .description('the most similar past leads to a scored lead, with their outcomes')
    .argument('<leadId>', 'a scored lead')
    .option('-k, --k <n>', 'how many neighbours', (v) => positiveInt(v, '-k'), 10)
    .option('--json', 'print JSON')
    .action(
      action(async (leadId: string, options: { k: number; json?: boolean }) => {
        const { config, transport } = openContext();
        await transport.close();
        const database = config.QDRANT_URL ? undefined : await openSinkDatabase(config);
        try {
          const index = createVectorIndex(config, database);
          if (!index)
            throw new Error(
              'no vector index: set QDRANT_URL or DATABASE_URL (or use the embedded transport)',
            );
          const vector = await index.vectorOf(leadId);
          if (!vector)
            throw new Error(`lead ${leadId} has no vector (not scored yet, or the vectors sink has not run)`);
          const hits = await index.nearest(vector, options.k, leadId);
          const conversionRate = neighbourConversionRate(hits);
          if (options.json) {
            process.stdout.write(
              `${JSON.stringify({ leadId, index: index.kind, neighbours: hits, conversionRate })}\n`,
            );
            return;
          }
          printTable(
            ['LEAD', 'SIMILARITY', 'LINE', 'VENDOR', 'SCORE', 'OUTCOME'],
            hits.map((h) => [
              h.leadId,
              h.similarity.toFixed(3),
              h.line,
              h.vendorId,
              String(h.score),
              h.outcome ?? '',
            ]),
          );
          process.stdout.write(
            `neighbours sold: ${conversionRate === null ? 'no final outcomes yet' : `${(conversionRate * 100).toFixed(0)}% of those with a final outcome`}\n`,
          );
        } finally {
          await database?.close();
        }
      }),
    );
}
