import { defineProcessor, type Processor } from '../../runtime/processor';
import type { Catalog } from '../../runtime/catalog';
import { FunnelRecorder, type LabelCaps } from './funnel-metrics';
import { OBSERVED_TOPICS, observe, REWARDS_TOPIC } from './observations';

export const METRICS_SINKS = ['metrics-funnel', 'metrics-rewards'] as const;

/**
 * The metrics sinks: they read the stage topics and count what the records say, so the funnel
 * metrics are the topics' numbers, not counters scattered through the stages. A step that fails
 * to commit is read again and counted again: metrics are at-least-once (a rare overcount after a
 * crash), which Prometheus rates tolerate and read models must not.
 *
 * The rewards topic gets a sink of its own, added once the catalogue declares the topic: its
 * partition count is the rewards stage's choice, and one processor's inputs must share theirs.
 */
export function metricsSinks(catalog: Catalog, caps: LabelCaps): Processor<never>[] {
  const recorder = new FunnelRecorder(caps);
  const sink = (name: string, inputs: string[]) =>
    defineProcessor<unknown>({
      name,
      inputs,
      outputs: [],
      process: (record) => {
        for (const observation of observe(record)) recorder.record(observation);
      },
    });
  const funnelTopics = OBSERVED_TOPICS.filter((topic) => topic !== REWARDS_TOPIC);
  return [
    sink(METRICS_SINKS[0], funnelTopics),
    ...(catalog.has(REWARDS_TOPIC) ? [sink(METRICS_SINKS[1], [REWARDS_TOPIC])] : []),
  ] as Processor<never>[];
}
