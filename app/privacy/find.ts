import type { Transport } from '../../runtime/transport';
import type { Graph } from '../../sinks/neo4j/graph';
import type { Queryable } from '../../sinks/postgres/database';

/** One place where a subject's contact details can still be read in plaintext. */
export interface SubjectPlace {
  store: 'topic' | 'table' | 'graph';
  /** The topic (logical name), the table, or the node label. */
  name: string;
  /** Records, rows or nodes holding one of the subject's details. */
  count: number;
}

export interface SubjectStores {
  transport: Transport;
  database?: Queryable;
  graph?: Graph;
}

/**
 * Every place the subject's details (subjectNeedles) can be read in plaintext: each topic on the
 * transport, internal ones included (changelogs, dead letters, retry topics), searched byte for
 * byte in keys and values (Avro writes strings as UTF-8); each table of the read-model schema,
 * searched in the text of whole rows; each node of the graph, in its properties. It reads every
 * record of every topic: an operator's tool, as costly as a full scan of the cluster.
 */
export async function findSubject(
  needles: readonly string[],
  stores: SubjectStores,
): Promise<SubjectPlace[]> {
  const places: SubjectPlace[] = [];
  for (const { name } of await stores.transport.describeTopics()) {
    const count = (await stores.transport.read(name)).filter(
      (record) => holds(record.key, needles) || holds(record.value, needles),
    ).length;
    if (count > 0) places.push({ store: 'topic', name, count });
  }
  if (stores.database) places.push(...(await tablesHolding(stores.database, needles)));
  if (stores.graph) places.push(...(await nodesHolding(stores.graph, needles)));
  return places;
}

/** Whether the bytes hold a needle, compared without case (the needles are lower-case ASCII). */
function holds(bytes: Buffer | null, needles: readonly string[]): boolean {
  if (bytes === null) return false;
  const text = bytes.toString('latin1').toLowerCase();
  return needles.some((needle) => text.includes(needle));
}

async function tablesHolding(database: Queryable, needles: readonly string[]): Promise<SubjectPlace[]> {
  const { rows: tables } = await database.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const patterns = needles.map((needle) => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const places: SubjectPlace[] = [];
  for (const { name } of tables) {
    // A whole row as text covers every column, JSON payloads included.
    const { rows } = await database.query<{ count: string | number }>(
      `SELECT count(*) AS count FROM "${name.replace(/"/g, '""')}" AS r WHERE r::text ILIKE ANY($1)`,
      [patterns],
    );
    const count = Number(rows[0]?.count ?? 0);
    if (count > 0) places.push({ store: 'table', name, count });
  }
  return places;
}

async function nodesHolding(graph: Graph, needles: readonly string[]): Promise<SubjectPlace[]> {
  const rows = await graph.query<{ label: string; count: number }>(
    `MATCH (n) WHERE any(k IN keys(n) WHERE any(needle IN $needles WHERE toLower(toStringOrNull(n[k])) CONTAINS needle))
     RETURN coalesce(labels(n)[0], '(no label)') AS label, count(*) AS count ORDER BY label`,
    { needles: [...needles] },
  );
  return rows.map((row) => ({ store: 'graph', name: row.label, count: Number(row.count) }));
}
