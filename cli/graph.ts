import type { Command } from 'commander';
import type { AgentFeatures } from '../schemas/routing-records';
import { openGraph } from '../sinks/neo4j';
import { graphJobCodec, GraphJob } from '../sinks/neo4j/graph-job';
import { positiveInt } from './options';
import { printTable } from './topics';
import { action, openContext } from './context';

const fixed = (n: number | null) => (n === null ? '-' : n.toFixed(2));

function printFeatures(features: AgentFeatures[]): void {
  printTable(
    ['agent', 'team strength', 'similar-lead success', 'referral partners'],
    features.map((f) => [
      f.agentId,
      fixed(f.teamStrength),
      Object.entries(f.similarLeadSuccess)
        .map(([line, value]) => `${line} ${fixed(value)}`)
        .join(', ') || '-',
      f.referralPartners.join(', ') || '-',
    ]),
  );
}

export function registerGraph(program: Command): void {
  const graph = program.command('graph').description('the Neo4j graph (NEO4J_URL) and its graph job');

  graph
    .command('features')
    .description('compute agent features from the graph and publish changed ones to agent.features')
    .option('--once', 'run once, print the features and exit (default: every LEADFLOW_GRAPH_JOB_INTERVAL_MS)')
    .option('--interval-ms <ms>', 'run every this many ms (default: LEADFLOW_GRAPH_JOB_INTERVAL_MS)', (v) =>
      positiveInt(v, '--interval-ms'),
    )
    .option('--json', 'with --once: print {"published", "removed", "features"} as JSON')
    .action(
      action(async (options: { once?: boolean; intervalMs?: number; json?: boolean }) => {
        const { config, log, transport, registry } = openContext();
        const opened = await openGraph(config).catch(async (error: unknown) => {
          await transport.close();
          throw error;
        });
        if (!opened) {
          await transport.close();
          throw new Error('NEO4J_URL is not set (e.g. bolt://127.0.0.1:7687; see deploy/local/services.sh)');
        }
        const job = new GraphJob(opened, transport, await graphJobCodec(transport, registry), log);
        if (options.once) {
          try {
            const run = await job.runOnce();
            if (options.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
            else {
              printFeatures(run.features);
              process.stdout.write(
                `${run.features.length} agent(s); published ${run.published} changed, removed ${run.removed}\n`,
              );
            }
          } finally {
            await opened.close();
            await transport.close();
          }
          return;
        }
        job.start(options.intervalMs ?? config.LEADFLOW_GRAPH_JOB_INTERVAL_MS);
        const stop = async () => {
          await job.stop();
          await opened.close();
          await transport.close();
          process.exit(0);
        };
        process.on('SIGINT', () => void stop());
        process.on('SIGTERM', () => void stop());
      }),
    );
}
