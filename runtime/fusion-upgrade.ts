/**
 * Moving a deployment that ran stages apart onto the processor that fuses them. The fused
 * processor is a new consumer group with a new changelog: started as it is, it would read its
 * sources from the beginning (every lead matched again) and without the stages' state (match's
 * routing memory). The upgrade, run once with every process stopped:
 *
 * 1. drains the stages after the first (they run until they have read everything the first one
 *    wrote), so no record waits between two stages when the old groups stop for good;
 * 2. copies each stage's changelog into the fused processor's, under the names the fused
 *    processor gives stores (`<stage>--<store>`) and timers (`<stage>:<key>`);
 * 3. gives the fused group the first stage's committed offsets on the sources.
 *
 * The offsets are written last: until then the fused group has none and the upgrade can run
 * again from the start (the copy is idempotent), and once they are there it is done.
 */
import type { Logger } from 'pino';
import type { Catalog } from './catalog';
import { fusedPlan } from './fusion';
import { Pipeline } from './pipeline';
import type { Processor } from './processor';
import type { OutgoingRecord } from './records';
import type { SchemaRegistry } from './registry';
import { changelogTopic } from './topic-spec';
import type { DataKeys } from './privacy/data-keys';
import { groupId, type Transport } from './transport';

export interface FusionUpgradeOptions {
  transport: Transport;
  registry: SchemaRegistry;
  appId: string;
  catalog: Catalog;
  /** The data keys of leads, for stages that read personal fields. */
  keys?: DataKeys;
  /** The fused processor, as `fuse` made it. */
  fused: Processor<never>;
  /** The stages it fuses, as they ran apart. */
  stages: readonly Processor<never>[];
  log: Logger;
  /** How long the drain may take before the upgrade gives up (default 10 minutes). */
  drainTimeoutMs?: number;
}

/**
 * `fresh`: neither the fused processor nor its stages ever committed (a new deployment);
 * `needed`: the stages did and the fused processor has not; `done`: the fused processor has.
 */
export type FusionUpgradeState = 'fresh' | 'needed' | 'done';

export async function fusionUpgradeState(
  options: Pick<FusionUpgradeOptions, 'transport' | 'appId' | 'fused' | 'stages'>,
): Promise<FusionUpgradeState> {
  const { transport, appId, fused } = options;
  const existing = new Set((await transport.describeTopics()).map((t) => t.name));
  const committed = async (processor: string, topics: readonly string[]) => {
    for (const topic of topics.filter((t) => existing.has(t))) {
      const offsets = await transport.committedOffsets(groupId(appId, processor), topic);
      if (offsets.some((offset) => offset >= 0)) return true;
    }
    return false;
  };
  if (await committed(fused.name, fused.inputs)) return 'done';
  for (const stage of planStages(options)) {
    if (await committed(stage.name, stage.inputs)) return 'needed';
  }
  return 'fresh';
}

/** Runs the upgrade if it is needed; returns the state found before it. */
export async function upgradeToFused(options: FusionUpgradeOptions): Promise<FusionUpgradeState> {
  const state = await fusionUpgradeState(options);
  if (state !== 'needed') return state;
  const { transport, appId, fused, log } = options;
  const [first, ...rest] = planStages(options);
  const sources = fused.inputs;
  const lateReader = rest.find((stage) => stage.inputs.some((topic) => sources.includes(topic)));
  if (lateReader) {
    // Its old group and the first stage's have read the source to different offsets; no one
    // offset for the fused group would give it each record once.
    throw new Error(
      `cannot upgrade to ${fused.name}: ${lateReader.name} reads the source ${lateReader.inputs.find((t) => sources.includes(t))} too`,
    );
  }
  log.info({ fused: fused.name, drained: rest.map((s) => s.name) }, 'upgrade: draining the stages apart');
  const drain = await Pipeline.start({
    appId,
    transport,
    registry: options.registry,
    catalog: options.catalog,
    processors: rest,
    log,
    keys: options.keys,
  });
  try {
    await drain.waitIdle(options.drainTimeoutMs ?? 10 * 60_000);
  } finally {
    await drain.stop();
  }
  const target = changelogTopic(appId, fused.name);
  await transport.applyTopics([options.catalog.withProcessors(appId, [fused]).get(target)]);
  const existing = new Set((await transport.describeTopics()).map((t) => t.name));
  let copied = 0;
  for (const stage of [first!, ...rest]) {
    const source = changelogTopic(appId, stage.name);
    if (!existing.has(source)) continue;
    const records = fusedChangelog(stage.name, target, await transport.read(source));
    await transport.produce(records);
    copied += records.length;
  }
  for (const topic of sources) {
    const offsets = await transport.committedOffsets(groupId(appId, first!.name), topic);
    const start = offsets.flatMap((offset, partition) => (offset >= 0 ? [{ partition, offset }] : []));
    await transport.setCommittedOffsets(groupId(appId, fused.name), topic, start);
  }
  log.info({ fused: fused.name, stateEntries: copied }, 'upgrade: done');
  return state;
}

/** The fused processor's stages, in its order, as they ran apart. */
function planStages(options: Pick<FusionUpgradeOptions, 'fused' | 'stages'>): Processor<never>[] {
  const plan = fusedPlan(options.fused);
  if (!plan) throw new Error(`${options.fused.name} is not a fused processor`);
  return plan.stages.map((name) => {
    const stage = options.stages.find((s) => s.name === name);
    if (!stage) throw new Error(`${options.fused.name} fuses ${name}, which is not among the stages`);
    return stage;
  });
}

/**
 * A stage's changelog as the fused processor's task restores it: the latest value of each entry,
 * stores renamed `<stage>--<store>`, timers `<stage>:<key>`. Changelog
 * records are `<store>/<key>` with a JSON value (runtime/task.ts).
 */
export function fusedChangelog(
  stage: string,
  topic: string,
  records: readonly { partition: number; key: Buffer | null; value: Buffer | null }[],
): OutgoingRecord[] {
  const latest = new Map<string, { partition: number; key: string; value: Buffer | null }>();
  for (const record of records) {
    const composite = record.key?.toString('utf8') ?? '';
    const slash = composite.indexOf('/');
    if (slash < 0) continue;
    const store = composite.slice(0, slash);
    const key = composite.slice(slash + 1);
    let renamed: string;
    const { value } = record;
    if (store === '__timers-by-key') {
      renamed = `${store}/${stage}:${key}`;
    } else if (store.startsWith('__')) {
      // The due-time index (a restore rebuilds it from the timers), and parked records (a stage
      // that parks cannot be fused).
      continue;
    } else {
      renamed = `${stage}--${store}/${key}`;
    }
    latest.set(`${record.partition}/${renamed}`, { partition: record.partition, key: renamed, value });
  }
  return [...latest.values()].map((entry) => ({
    topic,
    partition: entry.partition,
    key: Buffer.from(entry.key),
    value: entry.value,
    headers: {},
    timestamp: Date.now(),
  }));
}

/**
 * Refuses to start fused processors that replace stages a deployment ran apart until the upgrade
 * has run: started as they are, they would read their sources from the beginning.
 */
export async function assertFusionUpgraded(
  options: Pick<FusionUpgradeOptions, 'transport' | 'appId' | 'stages'> & {
    processors: readonly Processor<never>[];
  },
): Promise<void> {
  for (const fused of options.processors.filter((p) => fusedPlan(p))) {
    if ((await fusionUpgradeState({ ...options, fused })) === 'needed') {
      throw new Error(
        `${fused.name} replaces stages that ran apart (${fusedPlan(fused)!.stages.join(', ')}): ` +
          'stop every process, run `leadflow upgrade`, then start again (docs/operations.md, Upgrading)',
      );
    }
  }
}
