import type { Config } from '../config';
import { type NotifySettings, notifyChannels } from '../connectors/notify/channels';
import { notifyProcessor } from '../connectors/notify/processor';
import type { Processor } from '../runtime/processor';
import { matchProcessor } from '../processors/match/processor';
import { loadRoutingConfig } from '../processors/match/routing-config';
import { reportOutcomesProcessor } from '../processors/assign/outcomes';
import { assignProcessor } from '../processors/assign/processor';

export type RoutingSettings = NotifySettings & Partial<Pick<Config, 'LEADFLOW_ROUTING_CONFIG'>>;

/** The routing stages: match, assign, report-outcomes and notify (offers to agents), with the routing config file's settings. */
export function routingProcessors(settings: RoutingSettings): Processor<never>[] {
  const config = loadRoutingConfig(settings.LEADFLOW_ROUTING_CONFIG);
  return [
    matchProcessor(config),
    assignProcessor(config),
    reportOutcomesProcessor(),
    notifyProcessor(notifyChannels(settings), config.retentionDays),
  ] as Processor<never>[];
}
