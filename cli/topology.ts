import type { Command } from 'commander';
import { topology } from '../app/topology';
import { subTopologies } from '../runtime/fusion';
import { platformCatalog } from '../topics/platform';
import { action, loadCliConfig } from './context';
import { printTable } from './topics';

export function registerTopology(program: Command): void {
  program
    .command('topology')
    .description('the compiled topology: each consumer group, the stages it runs, what it reads and writes')
    .option('--json', 'print one JSON object per line')
    .action(
      action(async (options: { json?: boolean }) => {
        const plan = subTopologies(topology(loadCliConfig()), platformCatalog());
        if (options.json) {
          for (const unit of plan) process.stdout.write(`${JSON.stringify(unit)}\n`);
          return Promise.resolve();
        }
        printTable(
          ['processor', 'stages', 'reads', 'hands on', 'writes', 'stores', 'partitions'],
          plan.map((unit) => [
            unit.processor,
            unit.stages.join(' > '),
            unit.reads.join(', '),
            unit.handsOn.join(', ') || '-',
            unit.writes.join(', ') || '-',
            unit.stores.join(', ') || '-',
            String(unit.partitions),
          ]),
        );
        return Promise.resolve();
      }),
    );
}
