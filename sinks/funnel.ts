import type { RecordCodec } from '../runtime/codec';
import type { Transport } from '../runtime/transport';
import type { RejectedLead } from '../schemas/lead';
import { dlqTopic } from '../runtime/topic-spec';
import { TOPIC } from '../topics/platform';

/** Lead counts per stage and rejections by reason code, read straight from the topics. */
export interface Funnel {
  raw: number;
  valid: number;
  rejected: number;
  enriched: number;
  /** Leads rejected per reason code; a lead with several reasons counts under each. */
  rejected_by_reason: Record<string, number>;
  /** Leads rejected per stage (validate, screen-phone, screen-email). */
  rejected_by_stage: Record<string, number>;
  dead_letters: number;
}

const STAGE_TOPICS = { raw: TOPIC.leadsRaw, valid: TOPIC.leadsValid, enriched: TOPIC.leadsEnriched } as const;

export async function readFunnel(transport: Transport, codec: RecordCodec): Promise<Funnel> {
  const counts: Record<string, number> = {};
  for (const [stage, topic] of Object.entries(STAGE_TOPICS))
    counts[stage] = (await transport.read(topic)).length;
  const rejected_by_reason: Record<string, number> = {};
  const rejected_by_stage: Record<string, number> = {};
  const rejected = await transport.read(TOPIC.leadsRejected);
  for (const raw of rejected) {
    const { value } = await codec.decode<RejectedLead>(raw);
    for (const code of new Set(value.reasons.map((r) => r.code)))
      rejected_by_reason[code] = (rejected_by_reason[code] ?? 0) + 1;
    rejected_by_stage[value.stage] = (rejected_by_stage[value.stage] ?? 0) + 1;
  }
  let deadLetters = 0;
  for (const topic of codec.catalog.all().map((t) => t.name)) {
    if (topic.endsWith('.dlq') && topic === dlqTopic(topic.slice(0, -4)))
      deadLetters += (await transport.read(topic)).length;
  }
  return {
    raw: counts.raw!,
    valid: counts.valid!,
    rejected: rejected.length,
    enriched: counts.enriched!,
    rejected_by_reason: sortByCount(rejected_by_reason),
    rejected_by_stage,
    dead_letters: deadLetters,
  };
}

const sortByCount = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
