import type avro from 'avsc';
import { avroType, wire } from '../schemas/avro';
import type { SchemaRegistry } from './registry';
import type { Catalog } from './catalog';
import type { TopicSpec } from './topic-spec';
import type { ConsumedRecord, Headers, OutgoingRecord, RawRecord } from './records';
import { partitionFor } from './partitioner';
import { openRecord, sealingPlan, sealRecord, type SealingPlan } from './privacy/sealing';
import type { DataKeys } from './privacy/data-keys';

interface WriterSide {
  keyId: number;
  valueId: number;
  keyType: avro.Type;
  valueType: avro.Type;
}

/** A value that does not match its topic's schema, with the paths of the offending fields. */
export class SchemaValidationError extends Error {
  override name = 'SchemaValidationError';
  constructor(
    readonly topic: string,
    readonly paths: string[],
  ) {
    super(`value for topic ${topic} does not match its schema at: ${paths.join(', ') || '(root)'}`);
  }
}

/** A topic whose schema has personal fields, with a codec that was given no data keys. */
export class NoDataKeysError extends Error {
  override name = 'NoDataKeysError';
  constructor(readonly topic: string) {
    super(`topic ${topic} carries sealed personal fields, and this codec was given no data keys (KeyVault)`);
  }
}

/**
 * Turns decoded records into wire bytes and back, per the topic catalogue. Writer schemas are
 * registered once in `prepare`; readers resolve whatever schema id a record carries against the
 * catalogue's current schema, so old records stay readable after a compatible change. Fields the
 * schema marks personal are sealed on the way out with the lead's data key and opened on the way
 * in (runtime/privacy), so the wire, the logs' files and every copy of a record hold them only
 * encrypted.
 */
export class RecordCodec {
  private readonly writers = new Map<string, WriterSide>();
  private readonly readers = new Map<
    string,
    { reader: avro.Type; resolver: ReturnType<avro.Type['createResolver']> | undefined }
  >();

  private readonly plans = new Map<string, SealingPlan | null>();
  private readonly clock: () => number;
  private readonly subjectPrefix: string;
  private readonly keys: DataKeys | undefined;

  /**
   * `subjectPrefix` is the transport's topic prefix: subjects are named after the topics as they
   * are on the cluster (TopicNameStrategy), so other Confluent tools find them.
   */
  constructor(
    readonly catalog: Catalog,
    private readonly registry: SchemaRegistry,
    options: { clock?: () => number; subjectPrefix?: string; keys?: DataKeys } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.subjectPrefix = options.subjectPrefix ?? '';
    this.keys = options.keys;
  }

  /** The topic's sealing plan (null: no personal fields), from the catalogue's schema. */
  sealingPlan(topic: string): SealingPlan | null {
    let plan = this.plans.get(topic);
    if (plan === undefined) {
      const spec = this.catalog.get(topic);
      plan = spec.format === 'avro' ? sealingPlan(spec.valueSchema) : null;
      this.plans.set(topic, plan);
    }
    return plan;
  }

  /** Registers the schemas of the topics this process will write. Idempotent. */
  async prepare(topics: Iterable<string>): Promise<void> {
    for (const name of topics) {
      const spec = this.catalog.get(name);
      if (spec.format !== 'avro' || this.writers.has(name)) continue;
      const keyId = await this.registry.register(`${this.subjectPrefix}${name}-key`, spec.keySchema);
      const valueId = await this.registry.register(`${this.subjectPrefix}${name}-value`, spec.valueSchema);
      this.writers.set(name, {
        keyId,
        valueId,
        keyType: avroType(spec.keySchema),
        valueType: avroType(spec.valueSchema),
      });
    }
  }

  /** Encodes a record for `topic`; the partition comes from the key unless given. */
  encode(
    topic: string,
    key: string,
    value: unknown,
    headers: Headers = {},
    partition?: number,
  ): OutgoingRecord {
    const spec = this.catalog.get(topic);
    const target = partition ?? partitionFor(key, spec.partitions);
    if (spec.format === 'raw') {
      return {
        topic,
        partition: target,
        key: Buffer.from(key, 'utf8'),
        value: value === null ? null : Buffer.from(JSON.stringify(value), 'utf8'),
        headers,
        timestamp: this.clock(),
      };
    }
    const writer = this.writers.get(topic);
    if (!writer)
      throw new Error(`topic ${topic} was not prepared for writing (missing from the processor's outputs?)`);
    return {
      topic,
      partition: target,
      key: wire.encode(writer.keyId, writer.keyType.toBuffer(key)),
      value:
        value === null
          ? null
          : wire.encode(writer.valueId, this.toBuffer(spec, writer.valueType, this.sealed(topic, value))),
      headers,
      timestamp: this.clock(),
    };
  }

  async decode<V>(raw: RawRecord): Promise<ConsumedRecord<V>> {
    const spec = this.catalog.get(raw.topic);
    if (spec.format === 'raw') {
      return {
        ...raw,
        key: raw.key?.toString('utf8') ?? '',
        value: (raw.value === null ? null : JSON.parse(raw.value.toString('utf8'))) as V,
      };
    }
    return {
      ...raw,
      key:
        raw.key === null
          ? ''
          : ((await this.decodeWith(raw.key, `${spec.name}-key`, spec.keySchema)) as string),
      value: (raw.value === null
        ? null
        : await this.opened(
            raw.topic,
            await this.decodeWith(raw.value, `${spec.name}-value`, spec.valueSchema),
          )) as V,
    };
  }

  private sealed(topic: string, value: unknown): unknown {
    const plan = this.sealingPlan(topic);
    if (!plan) return value;
    if (!this.keys) throw new NoDataKeysError(topic);
    const record = value as Record<string, unknown>;
    return sealRecord(plan, record, this.keys.keyForWriting(String(record[plan.subjectField])));
  }

  private async opened(topic: string, value: unknown): Promise<unknown> {
    const plan = this.sealingPlan(topic);
    if (!plan) return value;
    const record = value as Record<string, unknown>;
    if (typeof record.sealed !== 'string') {
      // Nothing sealed: written before sealing existed, or after its lead was erased (its
      // personal fields left empty). Only the field itself goes.
      delete record.sealed;
      return record;
    }
    if (!this.keys) throw new NoDataKeysError(topic);
    openRecord(plan, record, await this.keys.keyForReading(String(record[plan.subjectField])));
    return record;
  }

  private toBuffer(spec: TopicSpec, type: avro.Type, value: unknown): Buffer {
    try {
      return type.toBuffer(value);
    } catch {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new SchemaValidationError(spec.name, paths);
    }
  }

  private async decodeWith(buffer: Buffer, subject: string, readerSchema: avro.Schema): Promise<unknown> {
    const { schemaId, payload } = wire.decode(buffer);
    const cacheKey = `${subject}#${schemaId}`;
    let reading = this.readers.get(cacheKey);
    if (!reading) {
      const reader = avroType(readerSchema);
      const writer = avroType(await this.registry.schemaById(schemaId));
      // Same schema on both sides (the common case) reads without a resolver, which is faster.
      const same = writer.fingerprint('sha256').equals(reader.fingerprint('sha256'));
      reading = { reader, resolver: same ? undefined : resolverFor(reader, writer, schemaId, subject) };
      this.readers.set(cacheKey, reading);
    }
    return reading.reader.fromBuffer(payload, reading.resolver);
  }
}

/** avsc's own message ("no alias found for ...") does not say which record or schema is at fault. */
function resolverFor(reader: avro.Type, writer: avro.Type, schemaId: number, subject: string) {
  try {
    return reader.createResolver(writer);
  } catch (error) {
    throw new Error(
      `schema id ${schemaId} (${writer.name ?? writer.typeName}) cannot be read as ${subject}: ${(error as Error).message}`,
    );
  }
}
