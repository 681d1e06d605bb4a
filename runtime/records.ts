/** Record shapes shared by both transports. Keys are strings; values are decoded Avro objects. */

export type Headers = Record<string, string>;

/** A record as it sits in a log: bytes, before the topic's serde has been applied. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

/** A record handed to a processor, already decoded with its topic's schemas. */
export interface ConsumedRecord<V = unknown> {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string;
  value: V;
  headers: Headers;
}

/** A record on its way into a log: encoded, partition chosen. */
export interface OutgoingRecord {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

/** Header names the runtime itself writes. */
export const HEADER = {
  /** Wall-clock time a lead was accepted by ingress; carried through every stage for latency. */
  ingestedAt: 'lf-ingested-at',
  /** Set on records re-run through a stage by replay, so sinks and metrics can tell them apart. */
  replay: 'lf-replay',
  /** On a parked record in a retry topic: where it came from, which round, when due, and why. */
  retrySource: 'lf-retry-source',
  retryTimestamp: 'lf-retry-timestamp',
  retryRound: 'lf-retry-round',
  retryDue: 'lf-retry-due',
  retryError: 'lf-retry-error',
} as const;
