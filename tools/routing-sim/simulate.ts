/**
 * `leadflow simulate routing`: simulated agents and leads, routed by the configured strategies
 * and, for comparison, by each strategy applied to every group, each run audited independently.
 */
import { type RoutingConfig, withStrategy } from '../../processors/match/routing-config';
import { STRATEGIES, type Strategy } from '../../schemas/routing-records';
import { simulatedAgents } from './agents';
import { type Audit, auditRun } from './audit';
import { runSimulation } from './engine';
import { simulatedLeads } from './leads';

export interface SimulationOptions {
  agents: number;
  leads: number;
  seed: string;
  /** Days the arrivals spread over; default: about 10 leads per agent per day. */
  days?: number;
  /** Simulated start (epoch ms); a Monday by default. */
  start?: number;
  config: RoutingConfig;
  /** Strategies to run side by side, each for every group. */
  compare: readonly Strategy[];
}

export interface RunReport extends Audit {
  invalid_responses: number;
  /** Ledger places (open offers, accepted leads) still held when every lead is done: should be 0. */
  ledger_places_left: number;
  simulated_hours: number;
}

export interface SimulationReport extends RunReport {
  agents: number;
  active_agents: number;
  days: number;
  seed: string;
  /** The configured strategy of each group in the top-level run. */
  strategies: Record<string, Strategy>;
  by_strategy?: Partial<Record<Strategy, RunReport>>;
  seconds: number;
}

/** Monday 2 March 2026, 00:00 UTC. */
export const DEFAULT_START = Date.UTC(2026, 2, 2);
const LEADS_PER_AGENT_DAY = 10;

function strategiesOf(config: RoutingConfig, groups: Iterable<string>): Record<string, Strategy> {
  return Object.fromEntries(
    [...new Set(groups)].sort().map((group) => [group, (config.groups[group] ?? config.defaults).strategy]),
  );
}

export function simulateRouting(options: SimulationOptions): SimulationReport {
  const started = Date.now();
  const agents = simulatedAgents(options.agents, options.seed);
  const days =
    options.days ?? Math.max(1, Math.round(options.leads / (options.agents * LEADS_PER_AGENT_DAY)));
  const leads = simulatedLeads({
    count: options.leads,
    seed: options.seed,
    start: options.start ?? DEFAULT_START,
    days,
    partners: agents.partners,
  });
  const run = (config: RoutingConfig): RunReport => {
    const result = runSimulation({ agents, leads, config, seed: options.seed });
    return {
      ...auditRun(result.events, agents.agents, leads),
      invalid_responses: result.invalidResponses,
      ledger_places_left: result.placesLeftAtEnd,
      simulated_hours: Math.round((result.lastEventAt - result.startedAt) / 36_000) / 100,
    };
  };
  const strategies = strategiesOf(
    options.config,
    agents.agents.map((a) => a.routingGroup),
  );
  const configured = new Set(Object.values(strategies));
  const main = run(options.config);
  const byStrategy: Partial<Record<Strategy, RunReport>> = {};
  for (const strategy of STRATEGIES.filter((s) => options.compare.includes(s))) {
    // With one strategy everywhere, the configured run already is that strategy's run.
    byStrategy[strategy] =
      configured.size === 1 && configured.has(strategy) ? main : run(withStrategy(options.config, strategy));
  }
  return {
    agents: agents.agents.length,
    active_agents: agents.agents.filter((a) => a.status === 'active').length,
    days,
    seed: options.seed,
    strategies,
    ...main,
    ...(options.compare.length > 0 ? { by_strategy: byStrategy } : {}),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
