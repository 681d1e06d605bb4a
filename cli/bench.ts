import { type Command, Option } from 'commander';
import { benchEngine } from '../bench/engine';
import { action, openContext } from './context';
import { positiveInt } from './options';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('measure throughput, latency and memory');

  bench
    .command('engine')
    .description('a 6-hop exactly-once chain vs. a plain kafkajs chain (the baseline)')
    .addOption(
      new Option('--transport <kind>', 'transport under test')
        .choices(['embedded', 'kafka'])
        .default('embedded'),
    )
    .option('--records <n>', 'records to push through the chain', (v) => positiveInt(v, '--records'), 20000)
    .option('--hops <n>', 'processors in the chain', (v) => positiveInt(v, '--hops'), 6)
    .option('--partitions <n>', 'partitions per topic', (v) => positiveInt(v, '--partitions'), 4)
    .option('--no-baseline', 'skip the plain kafkajs baseline (needs a broker)')
    .option('--json', 'print one JSON line')
    .action(
      action(
        async (options: {
          transport: 'embedded' | 'kafka';
          records: number;
          hops: number;
          partitions: number;
          baseline: boolean;
          json?: boolean;
        }) => {
          const { config, log, transport } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
          await transport.close();
          const result = await benchEngine({ ...options, brokers: config.KAFKA_BROKERS, log });
          if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else
            for (const [key, value] of Object.entries(result))
              process.stdout.write(`${key.padEnd(24)} ${value}\n`);
        },
      ),
    );
}
