import type { Command } from 'commander';
import { topology } from '../app/topology';
import { retentionSettings } from '../config';
import { platformCatalog } from '../topics/platform';
import { action, openContext } from './context';

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('inspect and apply the topic catalogue');

  topics
    .command('apply')
    .description('create missing topics and update configs to match topics/ (idempotent)')
    .action(
      action(async () => {
        const { config, transport } = openContext();
        const catalog = platformCatalog(retentionSettings(config)).withProcessors(
          config.LEADFLOW_APP_ID,
          topology(config),
        );
        const changes = await transport.applyTopics(catalog.all());
        for (const change of changes) {
          process.stdout.write(
            `${change.action.padEnd(9)} ${change.topic}${change.detail ? `  (${change.detail})` : ''}\n`,
          );
        }
        await transport.close();
      }),
    );

  topics
    .command('list')
    .description('show topics with partition counts and end offsets')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const { transport } = openContext();
        const infos = await transport.describeTopics();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(infos)}\n`);
        } else {
          const rows = infos.map((t) => [
            t.name,
            String(t.partitions),
            t.cleanup,
            t.retentionMs === null ? 'forever' : `${Math.round(t.retentionMs / 3_600_000)}h`,
            t.endOffsets.join(','),
          ]);
          printTable(['TOPIC', 'PARTITIONS', 'CLEANUP', 'RETENTION', 'END OFFSETS'], rows);
        }
        await transport.close();
      }),
    );
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
