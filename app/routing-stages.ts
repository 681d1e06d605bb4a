import type { Config } from '../config';
import { type NotifySettings, notifyChannels } from '../connectors/notify/channels';
import { notifyProcessor } from '../connectors/notify/processor';
import type { Processor } from '../runtime/processor';
import { matchProcessor } from '../processors/match/processor';
import { loadRoutingConfig } from '../processors/match/routing-config';
import { reportOutcomesProcessor } from '../processors/assign/outcomes';
import { assignProcessor } from '../processors/assign/processor';
import { loadEconomicsConfig } from '../processors/ledger/economics';

export type RoutingSettings = NotifySettings &
  Partial<Pick<Config, 'LEADFLOW_ROUTING_CONFIG' | 'LEADFLOW_ECONOMICS_CONFIG'>>;

/**
 * The routing stages: match, assign, report-outcomes and notify (offers to agents), with the
 * routing config file's settings and the economics file's prices and return policy (match prices each lead for its
 * vendor, assign each acceptance for the agent).
 */
export function routingProcessors(settings: RoutingSettings): Processor<never>[] {
  const config = loadRoutingConfig(settings.LEADFLOW_ROUTING_CONFIG);
  const economics = loadEconomicsConfig(settings.LEADFLOW_ECONOMICS_CONFIG);
  return [
    matchProcessor(config, economics),
    assignProcessor(config, economics),
    reportOutcomesProcessor(),
    notifyProcessor(notifyChannels(settings), config.retentionDays),
  ] as Processor<never>[];
}
