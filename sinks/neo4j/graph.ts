import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import type { Config } from '../../config';
import { ERASE, FEATURE_QUERIES, SCHEMA, WRITE } from './cypher';
import type { GraphFacts } from './features';
import type { GraphBatch, OutcomeRow } from './graph-records';
import { PermanentError } from '../../runtime/errors';

export type GraphSettings = Pick<Config, 'NEO4J_URL' | 'NEO4J_USER' | 'NEO4J_PASSWORD'>;

/** Errors in which Neo4j refuses the data itself: the same batch fails again on every try. */
const REFUSED_DATA = /^Neo\.ClientError\.(Statement|Schema\.ConstraintValidationFailed)/;

/**
 * leadflow's Neo4j: the sink's writes and the graph job's reads over one driver. Writes run in
 * managed transactions, which the driver retries on transient errors (deadlocks between
 * concurrent batches, a leader switch).
 */
export class Graph {
  private constructor(private readonly driver: Driver) {}

  /** Connects (failing fast when Neo4j is not there) and creates the constraints. */
  static async open(settings: GraphSettings & { NEO4J_URL: string }): Promise<Graph> {
    const auth =
      settings.NEO4J_USER !== undefined
        ? neo4j.auth.basic(settings.NEO4J_USER, settings.NEO4J_PASSWORD ?? '')
        : undefined;
    const driver = neo4j.driver(settings.NEO4J_URL, auth, {
      // Counts here fit in a double; plain numbers keep rows plain data.
      disableLosslessIntegers: true,
      connectionAcquisitionTimeout: 30_000,
    });
    const graph = new Graph(driver);
    try {
      await driver.verifyConnectivity();
      await graph.ensureSchema();
    } catch (error) {
      await driver.close();
      throw new Error(`neo4j at ${redact(settings.NEO4J_URL)}: ${(error as Error).message}`);
    }
    return graph;
  }

  /** Creates the constraints if missing; safe to run from several processes at once. */
  async ensureSchema(): Promise<void> {
    for (const statement of SCHEMA) {
      try {
        await this.driver.executeQuery(statement);
      } catch (error) {
        // Two processes creating the same constraint at once: the loser finds it exists.
        if (!/already exists/i.test((error as Error).message)) throw error;
      }
    }
  }

  /**
   * Writes a batch in one transaction: all of it or none of it. The driver retries transient
   * failures itself; a statement or constraint error means the data is refused (PermanentError).
   */
  async write(batch: GraphBatch): Promise<void> {
    await this.inWriteTransaction((tx) => writeBatch(tx, batch));
  }

  /**
   * Erases leads (ERASE.leads in cypher.ts) in one transaction; erasing them again changes
   * nothing. Errors as for `write`.
   */
  async erase(leadIds: readonly string[]): Promise<void> {
    if (leadIds.length === 0) return;
    await this.inWriteTransaction(async (tx) => {
      await tx.run(ERASE.leads, { leadIds: [...new Set(leadIds)] });
    });
  }

  private async inWriteTransaction(work: (tx: ManagedTransaction) => Promise<void>): Promise<void> {
    const session = this.driver.session({ defaultAccessMode: neo4j.session.WRITE });
    try {
      await session.executeWrite(work);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (REFUSED_DATA.test(code))
        throw new PermanentError(`neo4j sink: ${code}: ${(error as Error).message}`);
      throw error;
    } finally {
      await session.close();
    }
  }

  /** Everything the graph job needs, read in one transaction so the rows agree with each other. */
  async readFacts(): Promise<GraphFacts> {
    const session = this.driver.session({ defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead(async (tx) => {
        const rows = async <T>(query: string) =>
          (await tx.run(query)).records.map((record) => record.toObject() as T);
        return {
          agents: await rows(FEATURE_QUERIES.agents),
          closedByLine: await rows(FEATURE_QUERIES.closedByLine),
          groupOutcomes: await rows(FEATURE_QUERIES.groupOutcomes),
          referralTies: await rows(FEATURE_QUERIES.referralTies),
          householdPartners: await rows(FEATURE_QUERIES.householdPartners),
        };
      });
    } finally {
      await session.close();
    }
  }

  /** Runs a read query; for tools and tests. */
  async query<T>(cypher: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.driver.executeQuery(cypher, params, { routing: neo4j.routing.READ });
    return result.records.map((record) => record.toObject() as T);
  }

  /** Runs a write query; for tools and tests. */
  async execute(cypher: string, params: Record<string, unknown> = {}): Promise<void> {
    await this.driver.executeQuery(cypher, params);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** Of several outcomes of one lead in a batch, the latest (the last of equals), as Cypher can't order them. */
function latestOutcomes(rows: readonly OutcomeRow[]): OutcomeRow[] {
  const latest = new Map<string, OutcomeRow>();
  for (const row of rows) {
    const seen = latest.get(row.leadId);
    if (!seen || row.at >= seen.at) latest.set(row.leadId, row);
  }
  return [...latest.values()];
}

async function writeBatch(tx: ManagedTransaction, batch: GraphBatch): Promise<void> {
  const run = async (statement: string, params: Record<string, unknown[]>) => {
    if (Object.values(params).every((list) => list.length > 0)) await tx.run(statement, params);
  };
  await run(WRITE.leads, { rows: batch.leads });
  await run(WRITE.referrals, { rows: batch.referrals });
  await run(WRITE.partners, { rows: batch.partners });
  await run(WRITE.households, {
    leadIds: batch.leads.filter((lead) => lead.households.length > 0).map((lead) => lead.leadId),
  });
  await run(WRITE.agents, { rows: batch.agents });
  await run(WRITE.removedAgents, { agentIds: batch.removedAgents });
  await run(WRITE.offers, { rows: batch.offers });
  await run(WRITE.responses, { rows: batch.responses });
  await run(WRITE.assigned, { rows: batch.assigned });
  await run(WRITE.outcomes, { rows: latestOutcomes(batch.outcomes) });
  await run(WRITE.conversions, {
    rows: batch.outcomes.filter((row) => row.status === 'sold' && row.agentId !== null),
  });
  await run(ERASE.again, { leadIds: batch.leads.map((lead) => lead.leadId) });
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
