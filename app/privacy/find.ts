import type { RecordCodec } from '../../runtime/codec';
import type { RawRecord } from '../../runtime/records';
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

/** Everything held about a subject (an access request), as JSON. */
export interface SubjectExport {
  records: {
    topic: string;
    partition: number;
    offset: number;
    timestamp: number;
    key: unknown;
    value: unknown;
  }[];
  rows: { table: string; row: Record<string, unknown> }[];
  nodes: { labels: string[]; properties: Record<string, unknown> }[];
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
  for (const [topic, records] of await recordsHolding(stores.transport, needles))
    places.push({ store: 'topic', name: topic, count: records.length });
  if (stores.database) {
    for (const [table, rows] of await rowsHolding(stores.database, needles))
      places.push({ store: 'table', name: table, count: rows.length });
  }
  if (stores.graph) {
    const byLabel = new Map<string, number>();
    for (const node of await nodesHolding(stores.graph, needles)) {
      const label = node.labels[0] ?? '(no label)';
      byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    }
    for (const [label, count] of byLabel) places.push({ store: 'graph', name: label, count });
  }
  return places;
}

/**
 * What `findSubject` finds, in full: each record decoded as its topic's schema reads it (records of
 * topics the codec does not know, such as parked retry records, as JSON text when they are, else
 * base64), each row, each node.
 */
export async function exportSubject(
  needles: readonly string[],
  stores: SubjectStores & { codec: RecordCodec },
): Promise<SubjectExport> {
  const records: SubjectExport['records'] = [];
  for (const [topic, found] of await recordsHolding(stores.transport, needles)) {
    for (const raw of found) {
      const { key, value } = await readable(raw, stores.codec);
      records.push({
        topic,
        partition: raw.partition,
        offset: raw.offset,
        timestamp: raw.timestamp,
        key,
        value,
      });
    }
  }
  const rows: SubjectExport['rows'] = [];
  if (stores.database) {
    for (const [table, found] of await rowsHolding(stores.database, needles))
      rows.push(...found.map((row) => ({ table, row })));
  }
  return { records, rows, nodes: stores.graph ? await nodesHolding(stores.graph, needles) : [] };
}

async function readable(raw: RawRecord, codec: RecordCodec): Promise<{ key: unknown; value: unknown }> {
  if (codec.catalog.has(raw.topic)) {
    try {
      const { key, value } = await codec.decode(raw);
      return { key, value };
    } catch {
      // A record its schema cannot read (a retry topic's parked bytes): shown as bytes below.
    }
  }
  const text = (bytes: Buffer | null): unknown => {
    if (bytes === null) return null;
    const utf8 = bytes.toString('utf8');
    try {
      return JSON.parse(utf8);
    } catch {
      return Buffer.from(utf8, 'utf8').equals(bytes) ? utf8 : { base64: bytes.toString('base64') };
    }
  };
  return { key: text(raw.key), value: text(raw.value) };
}

/** Whether the bytes hold a needle, compared without case (the needles are lower-case ASCII). */
function holds(bytes: Buffer | null, needles: readonly string[]): boolean {
  if (bytes === null) return false;
  const text = bytes.toString('latin1').toLowerCase();
  return needles.some((needle) => text.includes(needle));
}

async function recordsHolding(transport: Transport, needles: readonly string[]) {
  const found = new Map<string, RawRecord[]>();
  for (const { name } of await transport.describeTopics()) {
    const records = (await transport.read(name)).filter(
      (record) => holds(record.key, needles) || holds(record.value, needles),
    );
    if (records.length > 0) found.set(name, records);
  }
  return found;
}

async function rowsHolding(database: Queryable, needles: readonly string[]) {
  const { rows: tables } = await database.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const patterns = needles.map((needle) => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const found = new Map<string, Record<string, unknown>[]>();
  for (const { name } of tables) {
    // A whole row as text covers every column, JSON payloads included.
    const { rows } = await database.query<{ row: Record<string, unknown> }>(
      `SELECT row_to_json(r) AS row FROM "${name.replace(/"/g, '""')}" AS r WHERE r::text ILIKE ANY($1)`,
      [patterns],
    );
    if (rows.length > 0)
      found.set(
        name,
        rows.map((r) => r.row),
      );
  }
  return found;
}

async function nodesHolding(graph: Graph, needles: readonly string[]): Promise<SubjectExport['nodes']> {
  return graph.query<{ labels: string[]; properties: Record<string, unknown> }>(
    `MATCH (n) WHERE any(k IN keys(n) WHERE any(needle IN $needles WHERE toLower(toStringOrNull(n[k])) CONTAINS needle))
     RETURN labels(n) AS labels, properties(n) AS properties`,
    { needles: [...needles] },
  );
}
