import { defineProcessor, type ProcessorContext } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { Agent, LeadMatched } from '../../schemas/routing-records';
import type { RoutingConfig } from '../match/routing-config';
import { DEFAULT_ECONOMICS_CONFIG, type EconomicsConfig } from '../ledger/economics';
import type { AgentTier } from '../../schemas/reward-records';
import { withTierBenefits } from '../reward/tiers';
import { type AssignPorts, onMatched, onResponse, onTimer, type Table } from './assign';
import type { AgentLedger, AgentResponse, LeadAssignment } from '../../schemas/assignment-records';

/** Task stores as the domain's tables. Reads are copies: the domain mutates what it reads before `put`. */
function table<V>(ctx: ProcessorContext, name: string): Table<V> {
  const store = ctx.store<V>(name);
  return {
    get: (key) => {
      const value = store.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
  };
}

function ports(ctx: ProcessorContext, config: RoutingConfig, economics: EconomicsConfig): AssignPorts {
  const agents = ctx.global<Agent>(TOPIC.agents);
  const tiers = ctx.global<AgentTier>(TOPIC.agentTiers);
  // A VIP tier's daily cap bonus raises the agent's daily capacity here, where capacity is kept.
  const agent = (agentId: string) => {
    const profile = agents.get(agentId);
    return profile && withTierBenefits(profile, tiers.get(agentId));
  };
  return {
    now: ctx.now(),
    config,
    economics,
    leads: table<LeadAssignment>(ctx, 'leads'),
    ledgers: table<AgentLedger>(ctx, 'ledgers'),
    agent,
    agents: function* () {
      for (const [agentId] of agents.entries()) yield agent(agentId)!;
    },
    emit: (event) => ctx.emit(TOPIC.assignments, event.leadId, event),
    publish: (performance) => ctx.emit(TOPIC.agentPerformance, performance.agentId, performance),
    schedule: (at, key) => ctx.schedule(at, key),
    cancel: (key) => ctx.cancel(key),
  };
}

/**
 * assign: offers each matched lead to one agent at a time under its group's strategy, follows
 * accepts, declines and lapsed offers to the next candidate or up the escalation ladder, and keeps
 * every agent's capacity exact, and prices each acceptance for the agent (its events carry the
 * price charged). Keyed by routing group, so one task owns a group's ledgers.
 */
export const assignProcessor = (
  config: RoutingConfig,
  economics: EconomicsConfig = DEFAULT_ECONOMICS_CONFIG,
) =>
  defineProcessor<LeadMatched | AgentResponse>({
    name: 'assign',
    inputs: [TOPIC.leadsMatched, TOPIC.agentResponses],
    outputs: [TOPIC.assignments, TOPIC.agentPerformance],
    stores: ['leads', 'ledgers'],
    replayRefused:
      'its state is the only record of the offers made, so a replay would offer every lead again; replay score to re-route leads that were unroutable',
    globals: [TOPIC.agents, TOPIC.agentTiers],
    process(record, ctx) {
      if (record.topic === TOPIC.agentResponses) {
        onResponse(ports(ctx, config, economics), record.value as AgentResponse);
        return;
      }
      const matched = record.value as LeadMatched;
      const result = onMatched(ports(ctx, config, economics), matched);
      if (result !== 'handled') {
        ctx.log.info({ leadId: matched.leadId, result }, 'matched lead ignored: already handled or too old');
      }
    },
    onTimer(timer, ctx) {
      onTimer(ports(ctx, config, economics), timer.key);
    },
  });
