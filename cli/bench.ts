import { type Command, Option } from 'commander';
import { benchEngine, runChainWorker } from '../bench/engine';
import { benchHttp } from '../bench/http';
import { benchPing } from '../bench/ping';
import { benchPipeline } from '../bench/pipeline';
import { benchRestore } from '../bench/restore';
import { createLogger } from '../runtime/log';
import { EmbeddedTransport, embeddedLogFile } from '../runtime/transports/embedded';
import { KafkaTransport } from '../runtime/transports/kafka';
import { action, openContext } from './context';
import { nonNegativeInt, positiveInt } from './options';

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
    .option('--fuse', 'run the hops fused into one processor (one task and commit per step)')
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
          fuse?: boolean;
          json?: boolean;
        }) => {
          const { config, log, transport } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
          await transport.close();
          printResult(await benchEngine({ ...options, brokers: config.KAFKA_BROKERS, log }), options.json);
        },
      ),
    );

  bench
    .command('pipeline')
    .description('generated leads through every stage with simulated agents, then the engine baseline')
    .addOption(
      new Option('--transport <kind>', 'transport under test')
        .choices(['embedded', 'kafka'])
        .default('embedded'),
    )
    .option('--leads <n>', 'leads to send', (v) => positiveInt(v, '--leads'), 5000)
    .option('--rate <n>', 'leads per second on a fixed schedule (default: as fast as possible)', (v) =>
      positiveInt(v, '--rate'),
    )
    .option('--agents <n>', 'simulated agents answering offers', (v) => positiveInt(v, '--agents'), 6)
    .option('--database', 'also run the database sinks (DATABASE_URL, else PGlite)')
    .option('--spread', 'run the stages as `leadflow start --processors` worker processes (kafka only)')
    .option(
      '--engine-records <n>',
      'records for the `bench engine` baseline',
      (v) => positiveInt(v, '--engine-records'),
      20000,
    )
    .option('--no-engine', 'skip the `bench engine` baseline')
    .option('--hops', 'also break the latency down hop by hop (reads the lead topics afterwards)')
    .option(
      '--warmup <s>',
      'seconds at the start whose leads the latency figures leave out (they count for throughput)',
      (v) => nonNegativeInt(v, '--warmup'),
      0,
    )
    .option('--json', 'print one JSON line')
    .action(
      action(
        async (options: {
          transport: 'embedded' | 'kafka';
          leads: number;
          rate?: number;
          warmup: number;
          agents: number;
          database?: boolean;
          spread?: boolean;
          hops?: boolean;
          engineRecords: number;
          engine: boolean;
          json?: boolean;
        }) => {
          const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
          const result = await benchPipeline({
            ...options,
            database: options.database ?? false,
            hops: options.hops ?? false,
            warmupSeconds: options.warmup,
            engineRecords: options.engine ? options.engineRecords : 0,
            env: process.env,
            log,
          });
          printResult(result, options.json);
        },
      ),
    );

  bench
    .command('http')
    .description('single-lead POSTs to /v1/leads with a vendor API key, driven by autocannon')
    .addOption(
      new Option('--transport <kind>', 'transport behind the API')
        .choices(['embedded', 'kafka'])
        .default('embedded'),
    )
    .option('--connections <n>', 'concurrent connections', (v) => positiveInt(v, '--connections'), 50)
    .option('--duration <s>', 'seconds of load', (v) => positiveInt(v, '--duration'), 20)
    .option('--workers <n>', 'load-generator threads', (v) => positiveInt(v, '--workers'), 1)
    .option('--json', 'print one JSON line')
    .action(
      action(
        async (options: {
          transport: 'embedded' | 'kafka';
          connections: number;
          duration: number;
          workers: number;
          json?: boolean;
        }) => {
          const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
          const result = await benchHttp({
            ...options,
            durationSeconds: options.duration,
            env: process.env,
            log,
          });
          printResult(result, options.json);
        },
      ),
    );

  bench
    .command('ping')
    .description(
      'pings to /v1/ping at a fixed rate against a book of ~40 buyers, each timed from when it was due',
    )
    .addOption(
      new Option('--transport <kind>', 'transport behind the API')
        .choices(['embedded', 'kafka'])
        .default('embedded'),
    )
    .option('--redis', 'keep cap counts and rate limits in Redis (REDIS_URL), not in the process')
    .option('--rate <n>', 'pings per second, on a fixed schedule', (v) => positiveInt(v, '--rate'), 500)
    .option('--connections <n>', 'keep-alive connections', (v) => positiveInt(v, '--connections'), 50)
    .option('--duration <s>', 'seconds of load', (v) => positiveInt(v, '--duration'), 20)
    .option('--json', 'print one JSON line')
    .action(
      action(
        async (options: {
          transport: 'embedded' | 'kafka';
          redis?: boolean;
          rate: number;
          connections: number;
          duration: number;
          json?: boolean;
        }) => {
          const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
          const result = await benchPing({
            ...options,
            redis: options.redis ?? false,
            durationSeconds: options.duration,
            env: process.env,
            log,
          });
          printResult(result, options.json);
        },
      ),
    );

  bench
    .command('restore')
    .description(
      'start time of a processor holding N state entries: whole changelog vs local checkpoint (Kafka)',
    )
    .option('--keys <n>', 'state entries', (v) => positiveInt(v, '--keys'), 1_000_000)
    .option(
      '--updates <n>',
      'changelog records per key (not yet compacted)',
      (v) => positiveInt(v, '--updates'),
      1,
    )
    .option('--partitions <n>', 'partitions (tasks)', (v) => positiveInt(v, '--partitions'), 4)
    .option('--json', 'print one JSON line')
    .action(
      action(async (options: { keys: number; updates: number; partitions: number; json?: boolean }) => {
        const { config, log, transport } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
        await transport.close();
        const result = await benchRestore({ ...options, brokers: config.KAFKA_BROKERS, log });
        printResult(result, options.json);
      }),
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

function printResult(result: object, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    for (const [key, value] of Object.entries(result))
      process.stdout.write(
        `${key.padEnd(24)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : value}\n`,
      );
}
