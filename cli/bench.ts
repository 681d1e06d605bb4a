import { type Command, Option } from 'commander';
import { benchEngine, runChainWorker } from '../bench/engine';
import { EmbeddedTransport, embeddedLogFile } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';
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
    .option('--workers <n>', 'processes to spread the chain over', (v) => positiveInt(v, '--workers'), 1)
    .option('--no-baseline', 'skip the plain kafkajs baseline (needs a broker)')
    .option('--json', 'print one JSON line')
    .action(
      action(
        async (options: {
          transport: 'embedded' | 'kafka';
          records: number;
          hops: number;
          partitions: number;
          workers: number;
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

  // Internal: one process of a `bench engine --workers N` run.
  bench
    .command('engine-worker', { hidden: true })
    .requiredOption('--run-id <id>')
    .requiredOption('--hops <n>', '', (v) => positiveInt(v, '--hops'))
    .requiredOption('--partitions <n>', '', (v) => positiveInt(v, '--partitions'))
    .requiredOption('--processors <names>')
    .addOption(new Option('--transport <kind>').choices(['embedded', 'kafka']).default('embedded'))
    .option('--data-file <file>', 'the embedded log file of the run')
    .action(
      action(
        async (options: {
          runId: string;
          hops: number;
          partitions: number;
          processors: string;
          transport: string;
          dataFile?: string;
        }) => {
          const { config, log } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
          const transport =
            options.transport === 'kafka'
              ? new KafkaTransport({ brokers: config.KAFKA_BROKERS, clientId: 'leadflow-bench', log })
              : new EmbeddedTransport({ file: options.dataFile ?? embeddedLogFile(config.dataDir) });
          await runChainWorker({ ...options, transport, processors: options.processors.split(','), log });
        },
      ),
    );
}
