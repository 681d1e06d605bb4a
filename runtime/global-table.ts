import type { Logger } from 'pino';
import type { RecordCodec } from './codec';
import type { RawRecord } from './records';
import type { ReadOnlyTable } from './store';
import type { Follower, Transport } from './transport';

/**
 * The latest value per key of a compacted topic, in memory, in every process that asks for it,
 * and kept up to date as the topic changes (Kafka Streams' GlobalKTable). For reference data
 * every task may need whatever its partition: agents, vendors, model versions. Reads are
 * eventually consistent with the topic; decisions that must be exact use task state instead.
 */
export class GlobalTable<V> implements ReadOnlyTable<V> {
  private readonly rows = new Map<string, V>();
  private readonly listeners = new Set<(key: string, value: V | null) => void>();
  private follower: Follower | undefined;

  constructor(
    readonly topic: string,
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
    private readonly log: Logger,
  ) {}

  /** Starts following and resolves when the table holds everything the topic held at start. */
  async start(): Promise<this> {
    this.follower = this.transport.follow(this.topic, (records) => this.apply(records));
    await this.follower.ready;
    return this;
  }

  get(key: string): V | undefined {
    return this.rows.get(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.rows.entries();
  }

  get size(): number {
    return this.rows.size;
  }

  /** Called for every change after it is applied (null value: the key was deleted). */
  onChange(listener: (key: string, value: V | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  private async apply(records: RawRecord[]): Promise<void> {
    for (const raw of records) {
      try {
        const { key, value } = await this.codec.decode<V | null>(raw);
        if (value === null) this.rows.delete(key);
        else this.rows.set(key, value);
        for (const listener of this.listeners) listener(key, value);
      } catch (error) {
        // A record we cannot read keeps the previous value; the table must not stop following.
        this.log.warn({ err: error, topic: this.topic, offset: raw.offset }, 'global table skipped a record');
      }
    }
  }
}
