import { type Processor, taskInputs } from '../runtime/processor';
import type { Transport } from '../runtime/transport';

export interface Traffic {
  /** Records written per lead, to every topic: outputs, changelogs, retries and dead letters. */
  written_per_lead: number;
  /**
   * Records read per lead: each input once per processor that reads it (each consumer group
   * fetches and decodes its own copy), each global table once for the process.
   */
  read_per_lead: number;
  /** Records written per lead by topic, the topics with any, most first. */
  written_by_topic: Record<string, number>;
}

/**
 * The record traffic a finished run caused, per lead: what fusion and record caches lower, and
 * what sets a pipeline's CPU cost per lead, since every record written and read costs client and
 * broker work whatever the stage does with it. Counts records, not offsets (transaction markers
 * take offsets too).
 */
export async function trafficPerLead(
  transport: Transport,
  topics: readonly string[],
  processors: readonly Processor<never>[],
  appId: string,
  leads: number,
): Promise<Traffic> {
  const records = new Map<string, number>();
  for (const topic of topics) records.set(topic, (await transport.read(topic)).length);
  const count = (topic: string) => records.get(topic) ?? 0;
  const written = topics.reduce((sum, topic) => sum + count(topic), 0);
  const inputs = processors.flatMap((p) => taskInputs(p, appId));
  const globals = new Set(processors.flatMap((p) => p.globals ?? []));
  const read = [...inputs, ...globals].reduce((sum, topic) => sum + count(topic), 0);
  const perLead = (n: number) => Math.round((n / leads) * 10) / 10;
  const byTopic = [...records].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  return {
    written_per_lead: perLead(written),
    read_per_lead: perLead(read),
    written_by_topic: Object.fromEntries(byTopic.map(([topic, n]) => [topic, perLead(n)])),
  };
}
