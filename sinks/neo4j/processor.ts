import { defineProcessor, type Processor } from '../../runtime/processor';
import type { Graph } from './graph';
import { GRAPH_TOPICS, graphBatch, PARTNER_TOPICS } from './graph-records';

export const NEO4J_SINKS = ['neo4j-graph', 'neo4j-partners'] as const;

/**
 * The Neo4j sinks: leads, vendors, partners, agents, groups, teams, households and their relations,
 * written per commit as one batched transaction of idempotent MERGEs. If the write fails (Neo4j
 * down longer than the driver's retries) nothing commits and the same records come again. Partners
 * have a sink of their own: their topic has one partition, the lead flow's have six.
 */
export function neo4jSinks(graph: Graph): Processor<never>[] {
  const sink = (name: (typeof NEO4J_SINKS)[number], inputs: readonly string[]) =>
    defineProcessor<unknown>({
      name,
      inputs,
      outputs: [],
      // A record the graph can never hold is dead-lettered here instead of failing every flush.
      process: (record) => void graphBatch([record]),
      flush: (records) => graph.write(graphBatch(records)),
    }) as Processor<never>;
  return [sink('neo4j-graph', GRAPH_TOPICS), sink('neo4j-partners', PARTNER_TOPICS)];
}
