import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { partitionFor } from '../partitioner';
import type { OutgoingRecord, RawRecord } from '../records';
import type { TopicSpec } from '../topic-spec';
import type { Follower, Transport } from '../transport';
import { type DataKeys, MissingDataKeyError } from './data-keys';
import { PrivacyKey } from './privacy-key';

/** A key-topic record's value: a lead's wrapped data key, or the mark that it was erased. */
type KeyEntry = { wrapped: string; createdAt: number } | ErasedMark;

/** What replaces an erased lead's key on the key topic: which request erased it, and when. */
export interface ErasedMark {
  erasedAt: number;
  request: string;
}

export const erasedMark = (request: string, at: number): ErasedMark => ({ erasedAt: at, request });

/** How long a read waits for a key written moments ago by another process to reach this one. */
const FOLLOW_WAIT_MS = 2000;
const FOLLOW_POLL_MS = 10;

/**
 * The data keys of every lead, from the compacted key topic (privacy.keys), in memory, kept up
 * to date as the topic changes: one vault per process, shared by every codec in it. Each lead's
 * personal fields are sealed with its own key; erasing the lead replaces the key on the topic with
 * an erased mark (compaction then drops the key itself), so every copy of those fields in every
 * topic, backup and dead letter is unreadable for good, while the rest of the record stays usable.
 * An erased lead is remembered by its mark, so its records read as erased rather than as missing.
 */
export class KeyVault implements DataKeys {
  private readonly keys = new Map<string, Buffer>();
  private readonly erased = new Set<string>();
  private follower: Follower | undefined;
  private readonly catchingUp = new Map<number, Promise<void>>();

  private constructor(
    private readonly transport: Transport,
    private readonly spec: TopicSpec,
    private readonly key: PrivacyKey,
    private readonly log: Logger,
  ) {}

  /** Creates the key topic if needed and resolves once every key on it is loaded. */
  static async open(options: {
    transport: Transport;
    spec: TopicSpec;
    key: PrivacyKey;
    log: Logger;
  }): Promise<KeyVault> {
    const vault = new KeyVault(options.transport, options.spec, options.key, options.log);
    await options.transport.applyTopics([options.spec]);
    vault.follower = options.transport.follow(options.spec.name, (records) => vault.apply(records));
    await vault.follower.ready;
    return vault;
  }

  /**
   * A new data key for a lead, usable here at once, and the key-topic record that keeps it: the
   * caller must have it durable before the lead's own records, so no reader ever finds a lead
   * without its key.
   */
  createKey(leadId: string, now: number): OutgoingRecord {
    const dataKey = PrivacyKey.newDataKey();
    this.keys.set(leadId, dataKey);
    return this.record(leadId, { wrapped: this.key.wrap(dataKey, leadId), createdAt: now }, now);
  }

  /** The record that erases a lead: its key replaced by the mark of the request that erased it. */
  eraseRecord(leadId: string, request: string, now: number): OutgoingRecord {
    return this.record(leadId, erasedMark(request, now), now);
  }

  /** The blind index of an identity (PrivacyKey.blind), as the stages key by it. */
  readonly blind = (identity: string): string => this.key.blind(identity);

  keyForWriting(leadId: string): Buffer | null {
    const key = this.keys.get(leadId);
    if (key) return key;
    if (this.erased.has(leadId)) return null;
    throw new MissingDataKeyError(leadId);
  }

  async keyForReading(leadId: string): Promise<Buffer | null> {
    const known = this.lookup(leadId);
    if (known !== undefined) return known;
    // Written by another process moments ago: the follower is about to deliver it.
    for (let waited = 0; waited < FOLLOW_WAIT_MS; waited += FOLLOW_POLL_MS) {
      await sleep(FOLLOW_POLL_MS);
      const found = this.lookup(leadId);
      if (found !== undefined) return found;
    }
    await this.catchUp(partitionFor(leadId, this.spec.partitions));
    const found = this.lookup(leadId);
    if (found === undefined) throw new MissingDataKeyError(leadId);
    return found;
  }

  /** Whether the lead was erased (as far as this process has read the key topic). */
  isErased(leadId: string): boolean {
    return this.erased.has(leadId);
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  private lookup(leadId: string): Buffer | null | undefined {
    if (this.erased.has(leadId)) return null;
    return this.keys.get(leadId);
  }

  /** Reads the lead's partition of the key topic up to its end now, past whatever the follower lags. */
  private catchUp(partition: number): Promise<void> {
    let reading = this.catchingUp.get(partition);
    if (!reading) {
      reading = this.transport
        .read(this.spec.name, { partitions: [partition] })
        .then((records) => this.apply(records))
        .finally(() => this.catchingUp.delete(partition));
      this.catchingUp.set(partition, reading);
    }
    return reading;
  }

  private record(leadId: string, entry: KeyEntry, now: number): OutgoingRecord {
    return {
      topic: this.spec.name,
      partition: partitionFor(leadId, this.spec.partitions),
      key: Buffer.from(leadId, 'utf8'),
      value: Buffer.from(JSON.stringify(entry), 'utf8'),
      headers: {},
      timestamp: now,
    };
  }

  /**
   * Applies key-topic records in any order and more than once (the follower and a catch-up read
   * may deliver the same ones): a lead's key is written once and an erased mark is final.
   */
  private apply(records: readonly RawRecord[]): void {
    for (const raw of records) {
      const leadId = raw.key?.toString('utf8');
      if (!leadId || raw.value === null) continue;
      try {
        const entry = JSON.parse(raw.value.toString('utf8')) as KeyEntry;
        if ('erasedAt' in entry) {
          this.erased.add(leadId);
          this.keys.delete(leadId);
        } else if (!this.erased.has(leadId) && !this.keys.has(leadId)) {
          this.keys.set(leadId, this.key.unwrap(entry.wrapped, leadId));
        }
      } catch (error) {
        // A key wrapped with another master key, or a damaged record: that lead stays unreadable.
        this.log.error(
          { err: error, topic: raw.topic, partition: raw.partition, offset: raw.offset, leadId },
          'a data key could not be read (is LEADFLOW_PRIVACY_KEY the one the key was written with?)',
        );
      }
    }
  }
}
