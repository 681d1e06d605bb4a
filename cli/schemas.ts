import type { Command } from 'commander';
import { schemaDirectory } from '../schemas/avro';
import { checkHistory, snapshotHistory } from '../schemas/history';
import { action } from './context';

export function registerSchemas(program: Command): void {
  const schemas = program.command('schemas').description('check and record Avro schema versions');

  schemas
    .command('check')
    .description('fail if a schema cannot read data written with any recorded version (BACKWARD_TRANSITIVE)')
    .action(
      action(async () => {
        const problems = checkHistory(schemaDirectory());
        for (const p of problems)
          process.stdout.write(`${p.schema}${p.version ? ` v${p.version}` : ''}: ${p.problem}\n`);
        if (problems.length > 0) throw new Error(`${problems.length} schema problem(s)`);
        process.stdout.write('all schemas compatible with their history\n');
      }),
    );

  schemas
    .command('snapshot')
    .description('record the current version of every changed schema under schemas/history/')
    .action(
      action(async () => {
        const recorded = snapshotHistory(schemaDirectory());
        for (const r of recorded) process.stdout.write(`recorded ${r.schema} v${r.version}\n`);
        if (recorded.length === 0) process.stdout.write('nothing changed\n');
      }),
    );
}
