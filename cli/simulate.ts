import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { type SimulationReport, simulateRouting } from '../tools/routing-sim/simulate';
import { loadRoutingConfig } from '../processors/match/routing-config';
import { STRATEGIES, type Strategy } from '../schemas/routing-records';
import { action } from './context';
import { positiveInt } from './options';

function strategyList(value: string): Strategy[] {
  if (value === 'all') return [...STRATEGIES];
  if (value === 'none') return [];
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((s) => !(STRATEGIES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(
      `--compare takes all, none or a list of ${STRATEGIES.join(', ')}; unknown: ${unknown.join(', ')}`,
    );
  }
  return names as Strategy[];
}

function startTime(value: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`--start must be an ISO date or date-time, got "${value}"`);
  return at;
}

export function registerSimulate(program: Command): void {
  const simulate = program
    .command('simulate')
    .description('simulations that run the real decision logic offline');
  simulate
    .command('routing')
    .description('route simulated leads to simulated agents in simulated time and audit the result')
    .option('--agents <n>', 'agents to generate', (v) => positiveInt(v, '--agents'), 500)
    .option('--leads <n>', 'leads to route', (v) => positiveInt(v, '--leads'), 5000)
    .option('--seed <s>', 'seed for agents, leads and behaviour', 'sim')
    .option('--days <n>', 'days the leads arrive over (default: ~10 leads per agent per day)', (v) =>
      positiveInt(v, '--days'),
    )
    .option('--start <iso>', 'simulated start time (default 2026-03-02T00:00Z, a Monday)', startTime)
    .option(
      '--compare <list>',
      'strategies to run side by side for every group: all, none or a list',
      strategyList,
      [...STRATEGIES],
    )
    .option('--routing-config <file>', 'routing settings (default: LEADFLOW_ROUTING_CONFIG)')
    .option('--json', 'print one JSON object')
    .action(
      action(
        async (options: {
          agents: number;
          leads: number;
          seed: string;
          days?: number;
          start?: number;
          compare: Strategy[];
          routingConfig?: string;
          json?: boolean;
        }) => {
          let file = options.routingConfig;
          try {
            file ??= loadConfig().LEADFLOW_ROUTING_CONFIG;
          } catch (error) {
            if (error instanceof ConfigError) throw new Error(error.message);
            throw error;
          }
          const report = simulateRouting({ ...options, config: loadRoutingConfig(file) });
          process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describe(report));
          if (report.capacity_violations > 0 || report.unlicensed_assignments > 0) {
            throw new Error('the simulation found routing violations');
          }
        },
      ),
    );
}

function describe(report: SimulationReport): string {
  const runs: [string, SimulationReport | NonNullable<SimulationReport['by_strategy']>[Strategy]][] = [
    ['configured', report],
    ...Object.entries(report.by_strategy ?? {}),
  ];
  const rows: [string, (r: NonNullable<(typeof runs)[number][1]>) => string][] = [
    ['assigned', (r) => `${r.assigned} of ${r.leads}`],
    ['unroutable', (r) => String(r.unroutable)],
    ['manual queue', (r) => String(r.manual_queue)],
    ['accept rate', (r) => r.accept_rate.toFixed(3)],
    ['median time to accept (s)', (r) => String(r.median_time_to_accept_s ?? '-')],
    ['fairness Gini (mean)', (r) => r.fairness_gini_mean.toFixed(3)],
    ['conversion', (r) => (r.conversion_rate === null ? '-' : r.conversion_rate.toFixed(3))],
    ['capacity violations', (r) => String(r.capacity_violations)],
    ['unlicensed assignments', (r) => String(r.unlicensed_assignments)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `${report.agents} agents (${report.active_agents} active), ${report.leads} leads over ${report.days} day(s), seed ${report.seed}; ${report.seconds} s`,
    '',
    `${''.padEnd(width)}  ${runs.map(([name]) => name.padStart(20)).join('')}`,
    ...rows.map(
      ([label, value]) => `${label.padEnd(width)}  ${runs.map(([, r]) => value(r!).padStart(20)).join('')}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
