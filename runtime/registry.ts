import { createHash } from 'node:crypto';
import { type AvroSchema, checkBackward, fingerprint } from '../schemas/avro';
import { LeadflowError } from './errors';
import { retry } from './retry';

/**
 * The registry the serdes use: subjects follow Confluent's TopicNameStrategy
 * (`<topic>-key`, `<topic>-value`) and every subject is BACKWARD compatible.
 */
export interface SchemaRegistry {
  /** Registers (or finds) the schema under the subject and returns its id. */
  register(subject: string, schema: AvroSchema): Promise<number>;
  /** The writer schema for an id found in a record's wire-format header. */
  schemaById(id: number): Promise<AvroSchema>;
}

export class SchemaIncompatibleError extends Error {
  override name = 'SchemaIncompatibleError';
}

export class UnknownSchemaIdError extends Error {
  override name = 'UnknownSchemaIdError';
  constructor(readonly schemaId: number) {
    super(`schema id ${schemaId} is not registered`);
  }
}

/**
 * A Confluent-compatible registry over its REST API (Confluent, Apicurio's ccompat API, Karapace).
 * We speak the API directly rather than through @kafkajs/confluent-schema-registry: that client
 * refuses schemas without a record name, and our keys are plain Avro strings.
 */
export class ConfluentSchemaRegistry implements SchemaRegistry {
  /**
   * One lookup per id, shared by every caller: a batch of records decoded together would
   * otherwise send the registry one request per record for a schema it has not yet cached.
   */
  private readonly byId = new Map<number, Promise<AvroSchema>>();
  private readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  async register(subject: string, schema: AvroSchema): Promise<number> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    const body = { schema: JSON.stringify(schema), schemaType: 'AVRO' };
    // Every process start registers the schemas it writes; nearly always they are there already,
    // and a lookup is a read where registering is a compatibility check and possibly a write.
    const found = await this.request('POST', path, body, [404]);
    if (found.status !== 404) return this.remember(Number((found.body as { id: number }).id), schema);
    const existing = await this.request('GET', `${path}/versions`, undefined, [404]);
    if (existing.status === 404) {
      // Some registries (Apicurio) default to NONE; leadflow's contract is BACKWARD per subject.
      const config = `/config/${encodeURIComponent(subject)}`;
      const set = await this.request('PUT', config, { compatibility: 'BACKWARD' }, [409]);
      // Apicurio answers 409 when another process created the subject's rule at the same moment;
      // the rule exists now, so a second PUT updates it.
      if (set.status === 409) await this.request('PUT', config, { compatibility: 'BACKWARD' });
    }
    const response = await this.request('POST', `${path}/versions`, body, [409]);
    if (response.status === 409) {
      throw new SchemaIncompatibleError(
        `${subject}: ${String((response.body as { message?: string })?.message ?? 'incompatible schema')}`,
      );
    }
    return this.remember(Number((response.body as { id: number }).id), schema);
  }

  private remember(id: number, schema: AvroSchema): number {
    this.byId.set(id, Promise.resolve(schema));
    return id;
  }

  schemaById(id: number): Promise<AvroSchema> {
    let lookup = this.byId.get(id);
    if (!lookup) {
      lookup = this.fetchSchema(id);
      // A failed lookup is not remembered: the next record asks again.
      lookup.catch(() => this.byId.delete(id));
      this.byId.set(id, lookup);
    }
    return lookup;
  }

  private async fetchSchema(id: number): Promise<AvroSchema> {
    const response = await this.request('GET', `/schemas/ids/${id}`, undefined, [404]);
    if (response.status === 404) throw new UnknownSchemaIdError(id);
    return JSON.parse((response.body as { schema: string }).schema) as AvroSchema;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    expected: number[] = [],
  ): Promise<{ status: number; body: unknown }> {
    // A registry busy with a checkpoint or a GC pause can miss one deadline; schemas are fetched
    // once per process, so waiting longer costs little and a failed start costs a lot.
    let attempts = 0;
    try {
      return await retry(
        async (attempt) => {
          attempts = attempt;
          const response = await fetch(`${this.base}${path}`, {
            method,
            headers: {
              'content-type': 'application/vnd.schemaregistry.v1+json',
              accept: 'application/json',
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(REGISTRY_REQUEST_TIMEOUT_MS),
          });
          const text = await response.text();
          const parsed: unknown = text ? JSON.parse(text) : null;
          if (response.ok || expected.includes(response.status))
            return { status: response.status, body: parsed };
          throw new LeadflowError(
            `schema registry ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`,
            { retryable: response.status >= 500 },
          );
        },
        {
          ...REGISTRY_RETRY,
          // A network failure or timeout is worth another try; a 4xx answer is not.
          isRetryable: (error) => !(error instanceof LeadflowError) || error.retryable,
        },
      );
    } catch (error) {
      if (error instanceof LeadflowError) throw error;
      // Still an outage: a caller with more patience (a process starting) may wait for it.
      throw new LeadflowError(
        `schema registry ${method} ${this.base}${path} failed ${attempts} times: ${(error as Error).message}`,
        { retryable: true, cause: error },
      );
    }
  }
}

const REGISTRY_REQUEST_TIMEOUT_MS = 20_000;
const REGISTRY_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 4000 };

/** One registration, as the built-in registry keeps it in its log. */
export interface SchemaEntry {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

/** Durable, append-only storage for the built-in registry (a compacted topic on the transport). */
export interface SchemaLog {
  readAll(): Promise<SchemaEntry[]>;
  append(entry: SchemaEntry): Promise<void>;
}

/**
 * A registry kept in the transport's own log, for deployments without a registry server. Ids are
 * derived from the schema's canonical fingerprint, so processes that register the same schema
 * agree on its id without coordinating; the wire format stays Confluent's.
 */
export class BuiltInSchemaRegistry implements SchemaRegistry {
  private readonly bySubject = new Map<string, SchemaEntry[]>();
  private readonly byId = new Map<number, AvroSchema>();
  private loaded: Promise<void> | undefined;

  constructor(private readonly log: SchemaLog) {}

  async register(subject: string, schema: AvroSchema): Promise<number> {
    await this.load();
    const id = schemaIdFor(schema);
    const versions = this.bySubject.get(subject) ?? [];
    const latest = versions.at(-1);
    if (latest?.id === id) return id;
    if (latest) {
      const result = checkBackward(schema, JSON.parse(latest.schema) as AvroSchema);
      if (!result.compatible) {
        throw new SchemaIncompatibleError(
          `${subject}: new schema is not BACKWARD compatible with version ${latest.version}: ${result.reason}`,
        );
      }
    }
    const known = this.byId.get(id);
    if (known && fingerprint(known) !== fingerprint(schema)) {
      throw new Error(`schema id collision for ${subject} (id ${id}); rename a field or namespace`);
    }
    const entry: SchemaEntry = {
      subject,
      version: (latest?.version ?? 0) + 1,
      id,
      schema: JSON.stringify(schema),
    };
    await this.log.append(entry);
    this.remember(entry);
    return id;
  }

  async schemaById(id: number): Promise<AvroSchema> {
    await this.load();
    let schema = this.byId.get(id);
    if (!schema) {
      // Another process may have registered it since we loaded.
      this.loaded = undefined;
      await this.load();
      schema = this.byId.get(id);
    }
    if (!schema) throw new UnknownSchemaIdError(id);
    return schema;
  }

  private load(): Promise<void> {
    this.loaded ??= this.log.readAll().then((entries) => {
      for (const entry of entries) this.remember(entry);
    });
    return this.loaded;
  }

  private remember(entry: SchemaEntry): void {
    const versions = this.bySubject.get(entry.subject) ?? [];
    if (!versions.some((v) => v.version === entry.version)) {
      versions.push(entry);
      versions.sort((a, b) => a.version - b.version);
    }
    this.bySubject.set(entry.subject, versions);
    this.byId.set(entry.id, JSON.parse(entry.schema) as AvroSchema);
  }
}

/** Positive 31-bit id from the canonical fingerprint (0 is avoided: some tools treat it as unset). */
export function schemaIdFor(schema: AvroSchema): number {
  const digest = createHash('sha256').update(fingerprint(schema)).digest();
  return digest.readUInt32BE(0) & 0x7fffffff || 1;
}
