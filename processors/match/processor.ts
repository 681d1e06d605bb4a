import { defineProcessor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import type { AgentTier } from '../reward/records';
import { withTierBenefits } from '../reward/tiers';
import type { ScoredLead } from '../score/records';
import { type AgentTables, matchLead } from './match';
import type { Agent, AgentFeatures, AgentPerformance } from './records';
import { routableLead } from './routable-lead';
import type { RoutingConfig } from './routing-config';

/**
 * match: hard constraints, then the weighted ranking, over the agent tables (agents, graph
 * features, performance) read as global tables. Re-keys each lead by its routing group, so assign
 * finds the lead in the task that owns the group's agents; an unroutable lead is keyed by its id.
 */
export const matchProcessor = (config: RoutingConfig) =>
  defineProcessor<ScoredLead>({
    name: 'match',
    inputs: [TOPIC.leadsScored],
    outputs: [TOPIC.leadsMatched],
    globals: [TOPIC.agents, TOPIC.agentFeatures, TOPIC.agentPerformance, TOPIC.agentTiers],
    process(record, ctx) {
      const agents = ctx.global<Agent>(TOPIC.agents);
      const features = ctx.global<AgentFeatures>(TOPIC.agentFeatures);
      const performance = ctx.global<AgentPerformance>(TOPIC.agentPerformance);
      const tiers = ctx.global<AgentTier>(TOPIC.agentTiers);
      const tables: AgentTables = {
        // Agents as routing sees them: with the VIP tier they earned and its extra daily capacity.
        agents: function* () {
          for (const [agentId, agent] of agents.entries()) yield withTierBenefits(agent, tiers.get(agentId));
        },
        features: (agentId) => features.get(agentId),
        performance: (agentId) => performance.get(agentId),
        priorityBoost: (agentId) => tiers.get(agentId)?.priorityBoost,
      };
      const matched = matchLead(routableLead(record.value), tables, config, ctx.now());
      ctx.emit(TOPIC.leadsMatched, matched.routingGroup ?? matched.leadId, matched);
    },
  });
