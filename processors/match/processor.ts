import { acceptedDecision } from '../common/decisions';
import { defineProcessor } from '../../runtime/processor';
import { TOPIC } from '../../topics/platform';
import { DAY_MS } from '../common/dates';
import type { AgentTier } from '../../schemas/reward-records';
import { withTierBenefits } from '../reward/tiers';
import type { ScoredLead } from '../../schemas/score-records';
import { type AgentTables, matchLead } from './match';
import type { Agent, AgentFeatures, AgentPerformance } from '../../schemas/routing-records';
import { routableLead, soldLead } from './routable-lead';
import type { RoutingConfig } from './routing-config';
import { DEFAULT_ECONOMICS_CONFIG, type EconomicsConfig } from '../ledger/economics';
import { purchasesOf } from '../ledger/bids';
import { decideRouting, decideSale, type LeadRouting } from './routing-memory';

/**
 * match: hard constraints, then the weighted ranking, over the agent tables (agents, graph
 * features, performance) read as global tables. Re-keys each lead by its routing group, so assign
 * finds the lead in the task that owns the group's agents; an unroutable lead is keyed by its id.
 * Remembers where each lead went (routing-memory.ts), so a lead is offered by one assign task only.
 * Prices each lead for its vendor on the way (the routable lead carries the price paid). A lead
 * posted against a ping-post bid is sold to the bid's buyers instead (leads.sold) and routed to no
 * agent.
 */
export const matchProcessor = (
  config: RoutingConfig,
  economics: EconomicsConfig = DEFAULT_ECONOMICS_CONFIG,
) =>
  defineProcessor<ScoredLead>({
    name: 'match',
    inputs: [TOPIC.leadsScored],
    outputs: [TOPIC.leadsMatched, TOPIC.leadsSold, TOPIC.buyerPurchases, TOPIC.leadDecisions],
    stores: ['routings'],
    replayRefused:
      'its routing memory belongs to the live stage, so a replay would route leads again; replay score to re-route leads that were unroutable',
    globals: [TOPIC.agents, TOPIC.agentFeatures, TOPIC.agentPerformance, TOPIC.agentTiers],
    process(record, ctx) {
      const routings = ctx.store<LeadRouting>('routings');
      const { sale } = record.value;
      if (sale) {
        const decision = decideSale(
          routings.get(record.value.leadId),
          record.value,
          ctx.now(),
          config.retentionDays,
        );
        if (decision.kind === 'skip') {
          ctx.log.info(
            { leadId: record.value.leadId, reason: decision.reason },
            'posted lead not sold again',
          );
          return;
        }
        const sold = soldLead(record.value, sale, ctx.now());
        routings.put(sold.leadId, decision.routing);
        ctx.schedule(ctx.now() + config.retentionDays * DAY_MS, sold.leadId);
        ctx.emit(TOPIC.leadsSold, sold.leadId, sold);
        for (const purchase of purchasesOf(sold)) ctx.emit(TOPIC.buyerPurchases, purchase.buyerId, purchase);
        ctx.emit(TOPIC.leadDecisions, sold.leadId, acceptedDecision(sold.lead, ctx.now()));
        return;
      }
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
      const lead = routableLead(record.value, economics);
      const decision = decideRouting(routings.get(lead.leadId), lead, ctx.now(), config.retentionDays, () =>
        matchLead(lead, tables, config, ctx.now()),
      );
      if (decision.kind === 'skip') {
        ctx.log.info({ leadId: lead.leadId, reason: decision.reason }, 'scored lead not routed');
        return;
      }
      const { matched, routing } = decision;
      routings.put(lead.leadId, routing);
      ctx.schedule(routing.matchedAt + config.retentionDays * DAY_MS, lead.leadId);
      ctx.emit(TOPIC.leadsMatched, matched.routingGroup ?? matched.leadId, matched);
      // Once per lead, with its first routing: a later routing of an unroutable lead decides nothing new.
      if (routing.generation === 1)
        ctx.emit(TOPIC.leadDecisions, lead.leadId, acceptedDecision(lead, ctx.now()));
    },
    onTimer(timer, ctx) {
      ctx.store('routings').delete(timer.key);
    },
  });
