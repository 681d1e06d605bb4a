import type { Config } from '../config';
import { type NotifySettings, notifyChannels } from '../connectors/notify/channels';
import { notifyProcessor } from '../connectors/notify/processor';
import type { Processor } from '../runtime/processor';
import { matchProcessor } from '../processors/match/processor';
import { loadRoutingConfig } from '../processors/match/routing-config';
import { reportOutcomesProcessor } from '../processors/assign/outcomes';
import { assignProcessor } from '../processors/assign/processor';
import { loadEconomicsConfig } from '../processors/ledger/economics';
import { buyerReturnsProcessor } from '../processors/buyer-returns/processor';

export type RoutingSettings = NotifySettings &
  Partial<Pick<Config, 'LEADFLOW_ROUTING_CONFIG' | 'LEADFLOW_ECONOMICS_CONFIG'>>;

/**
 * The routing stages: match, assign, report-outcomes, notify (offers to agents) and buyer-returns,
 * with the routing config file's settings and the economics file's prices and return policy
 * (match prices each lead for its vendor and sells posted leads to their buyers, assign prices
 * each acceptance for the agent and decides agents' returns, buyer-returns buyers' returns).
 */
export function routingProcessors(settings: RoutingSettings): Processor<never>[] {
  const config = loadRoutingConfig(settings.LEADFLOW_ROUTING_CONFIG);
  const economics = loadEconomicsConfig(settings.LEADFLOW_ECONOMICS_CONFIG);
  return [
    matchProcessor(config, economics),
    assignProcessor(config, economics),
    reportOutcomesProcessor(),
    notifyProcessor(notifyChannels(settings), config.retentionDays),
    buyerReturnsProcessor(economics),
  ] as Processor<never>[];
}
