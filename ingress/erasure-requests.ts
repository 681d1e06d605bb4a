import { setTimeout as sleep } from 'node:timers/promises';
import { erasureRequest, type SubjectQuery } from '../processors/erase/subjects';
import type { Blind } from '../processors/validate/identities';
import type { RecordCodec } from '../runtime/codec';
import type { Transport } from '../runtime/transport';
import type { PrivacyErasure } from '../schemas/privacy-records';
import { TOPIC } from '../topics/platform';

export interface ErasureDeps {
  transport: Transport;
  /** Prepared for privacy.subjects (writing) and able to read privacy.erasures. */
  codec: RecordCodec;
  blind: Blind;
}

/**
 * Asks the erase stage to erase whoever the query names: one privacy.subjects record per identity,
 * durable when this resolves. Throws SubjectQueryError (naming the field) for an unreadable one.
 */
export async function requestErasure(
  query: SubjectQuery,
  deps: ErasureDeps,
  requestedBy: string,
  now = Date.now(),
): Promise<{ requestId: string; parts: number }> {
  const { requestId, records } = erasureRequest(query, deps.blind, requestedBy, now);
  await deps.codec.prepare([TOPIC.privacySubjects]);
  await deps.transport.produce(
    records.map(({ key, value }) => deps.codec.encode(TOPIC.privacySubjects, key, value)),
  );
  return { requestId, parts: records.length };
}

const POLL_MS = 250;

/**
 * The audit records of a request once every part is done (read from privacy.erasures from the
 * request's time on), or null if that takes longer than `timeoutMs`.
 */
export async function erasureDone(
  deps: Pick<ErasureDeps, 'transport' | 'codec'>,
  request: { requestId: string; parts: number; requestedAt: number },
  timeoutMs: number,
): Promise<PrivacyErasure[] | null> {
  const deadline = Date.now() + timeoutMs;
  const from = await deps.transport.offsetsForTimestamp(TOPIC.privacyErasures, request.requestedAt);
  for (;;) {
    const records = await deps.transport.read(TOPIC.privacyErasures, {
      from: new Map(from.map((offset, partition) => [partition, offset])),
    });
    const parts = new Map<string, PrivacyErasure>();
    for (const raw of records) {
      const { value } = await deps.codec.decode<PrivacyErasure>(raw);
      if (value.requestId === request.requestId) parts.set(value.part, value);
    }
    if (parts.size >= request.parts) return [...parts.values()];
    if (Date.now() > deadline) return null;
    await sleep(POLL_MS);
  }
}
