import type { Blind } from '../../processors/validate/identities';
import { defineProcessor, type Processor } from '../../runtime/processor';
import type { ConsumedRecord } from '../../runtime/records';
import type { PrivacyErasure } from '../../schemas/privacy-records';
import { TOPIC } from '../../topics/platform';
import type { Graph } from './graph';
import { GRAPH_TOPICS, graphBatch, GraphRecordError, PARTNER_TOPICS } from './graph-records';

export const NEO4J_SINKS = ['neo4j-graph', 'neo4j-partners', 'neo4j-privacy'] as const;

/**
 * The Neo4j sinks: leads, vendors, partners, agents, groups, teams, households and their relations,
 * written per commit as one batched transaction of idempotent MERGEs; household keys are blind
 * indexes (`blind`). If the write fails (Neo4j
 * down longer than the driver's retries) nothing commits and the same records come again. Partners
 * have a sink of their own: their topic has one partition, the lead flow's have six. So do
 * erasures, keyed by request id.
 */
export function neo4jSinks(graph: Graph, blind: Blind): Processor<never>[] {
  const sink = (name: (typeof NEO4J_SINKS)[number], inputs: readonly string[]) =>
    defineProcessor<unknown>({
      name,
      inputs,
      outputs: [],
      // A record the graph can never hold is dead-lettered here instead of failing every flush.
      process: (record) => void graphBatch([record], blind),
      flush: (records) => graph.write(graphBatch(records, blind)),
    }) as Processor<never>;
  // Erasures (privacy.erasures): each erased lead loses its ZIP and household links, and households
  // left without a lead go. Idempotent; the graph sink's batches erase again what they rewrite.
  const privacy = defineProcessor<PrivacyErasure>({
    name: 'neo4j-privacy',
    inputs: [TOPIC.privacyErasures],
    outputs: [],
    process: (record) => void erasedLeads([record]),
    flush: (records) => graph.erase(erasedLeads(records)),
  }) as Processor<never>;
  return [sink('neo4j-graph', GRAPH_TOPICS), sink('neo4j-partners', PARTNER_TOPICS), privacy];
}

/** The leads a batch of privacy.erasures records erased. */
export function erasedLeads(records: readonly ConsumedRecord<PrivacyErasure | null>[]): string[] {
  const leadIds = new Set<string>();
  for (const record of records) {
    if (record.value === null || !Array.isArray(record.value.leadIds))
      throw new GraphRecordError(`${record.topic}: leadIds is missing`);
    for (const leadId of record.value.leadIds) leadIds.add(leadId);
  }
  return [...leadIds];
}
