import type { Command } from 'commander';
import { buildApp } from '../ingress/app';
import { Pipeline } from '../runtime/pipeline';
import { describeConfig } from '../config';
import { topology } from '../processors/topology';
import { platformCatalog } from '../topics/platform';
import { action, openContext } from './context';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform: every processor plus the HTTP server (/healthz, /metrics)')
    .option('--processors <names>', 'comma-separated processors to run here (default: all)')
    .action(
      action(async (options: { processors?: string }) => {
        const { config, log, transport, registry } = openContext();
        const all = topology(config);
        const wanted = options.processors?.split(',').map((s) => s.trim());
        const unknown = wanted?.filter((name) => !all.some((p) => p.name === name)) ?? [];
        if (unknown.length > 0) {
          throw new Error(
            `unknown processor(s): ${unknown.join(', ')} (known: ${all.map((p) => p.name).join(', ')})`,
          );
        }
        const processors = all.filter((p) => !wanted || wanted.includes(p.name));
        log.info({ config: describeConfig(config) }, 'starting leadflow');
        const pipeline = await Pipeline.start({
          appId: config.LEADFLOW_APP_ID,
          transport,
          registry,
          catalog: platformCatalog(),
          processors,
          log,
        });
        const app = await buildApp({
          transport,
          log,
          processors: () =>
            pipeline.runs.map((run) => ({ name: run.processor, partitions: run.assignedPartitions() })),
        });
        await app.listen({ port: config.PORT, host: '0.0.0.0' });
        let stopping = false;
        const shutdown = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'stopping leadflow');
          await app.close();
          await pipeline.stop();
          await transport.close();
          process.exit(0);
        };
        process.on('SIGINT', () => void shutdown('SIGINT'));
        process.on('SIGTERM', () => void shutdown('SIGTERM'));
      }),
    );
}
