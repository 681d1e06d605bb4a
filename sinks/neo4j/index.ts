import type { Logger } from 'pino';
import type { Transport } from '../../runtime/transport';
import type { SchemaRegistry } from '../../runtime/registry';
import type { GraphSettings } from './graph';
import { Graph } from './graph';
import { GraphJob, graphJobCodec } from './graph-job';

export { Graph } from './graph';
export { GraphJob, startGraphJob } from './graph-job';
export { NEO4J_SINKS, neo4jSinks } from './processor';

/** The graph when NEO4J_URL is set, connected and with its constraints; else undefined. */
export async function openGraph(settings: GraphSettings): Promise<Graph | undefined> {
  const url = settings.NEO4J_URL;
  return url === undefined ? undefined : Graph.open({ ...settings, NEO4J_URL: url });
}

/** What `leadflow demo` reports about the graph: its leads, household links, and a graph job run. */
export async function demoGraphFigures(
  graph: Graph,
  options: { transport: Transport; registry: SchemaRegistry; log: Logger; leadIds: string[] },
) {
  const codec = await graphJobCodec(options.transport, options.registry);
  const run = await new GraphJob(graph, options.transport, codec, options.log).runOnce();
  const [row] = await graph.query<{ leads: number; sameHousehold: number }>(
    `MATCH (l:Lead) WHERE l.leadId IN $leadIds
     OPTIONAL MATCH (l)-[s:SAME_HOUSEHOLD]->()
     RETURN count(DISTINCT l) AS leads, count(s) AS sameHousehold`,
    { leadIds: options.leadIds },
  );
  return {
    graph_leads: row?.leads ?? 0,
    graph_same_household: row?.sameHousehold ?? 0,
    graph_agent_features: run.features.length,
  };
}
