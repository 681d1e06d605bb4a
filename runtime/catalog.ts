import { loadSchema } from '../schemas/avro';
import type { Processor } from './processor';
import {
  changelogTopic,
  dlqTopic,
  RETENTION,
  retryTopic,
  shortestRetention,
  type TopicSpec,
  UnknownTopicError,
} from './topic-spec';

/**
 * The set of topics a deployment knows. Every topic that any processor reads or writes is listed
 * here with its partitions, cleanup policy, retention and schemas; `leadflow topics apply` makes
 * the log match it.
 */
export class Catalog {
  private readonly byName: Map<string, TopicSpec>;

  constructor(specs: Iterable<TopicSpec>) {
    this.byName = new Map();
    for (const spec of specs) {
      if (this.byName.has(spec.name))
        throw new Error(`topic ${spec.name} is declared twice in the catalogue`);
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(`topic ${spec.name}: partitions must be a positive integer`);
      }
      this.byName.set(spec.name, spec);
    }
  }

  get(name: string): TopicSpec {
    const spec = this.byName.get(name);
    if (!spec) throw new UnknownTopicError(name);
    return spec;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  all(): TopicSpec[] {
    return [...this.byName.values()];
  }

  /**
   * The catalogue plus the internal topics a set of processors needs: a changelog per processor
   * with state, a retry topic per processor that parks records, and a dead letter topic per input. Checks that each processor's inputs are
   * co-partitioned, since a task owns the same partition number of every input.
   */
  withProcessors(appId: string, processors: readonly Processor<never>[]): Catalog {
    const specs = new Map(this.byName);
    for (const processor of processors) {
      const inputs = processor.inputs.map((name) => this.get(name));
      for (const name of [...processor.outputs, ...(processor.globals ?? [])]) this.get(name);
      const partitions = inputs[0]!.partitions;
      const mismatch = inputs.find((spec) => spec.partitions !== partitions);
      if (mismatch) {
        throw new Error(
          `processor ${processor.name}: inputs must have the same partition count ` +
            `(${inputs[0]!.name} has ${partitions}, ${mismatch.name} has ${mismatch.partitions})`,
        );
      }
      const changelog = changelogTopic(appId, processor.name);
      specs.set(changelog, {
        name: changelog,
        partitions,
        cleanup: 'compact',
        retentionMs: RETENTION.forever,
        format: 'raw',
        keySchema: 'string',
        valueSchema: 'bytes',
        doc: `State changelog of the ${processor.name} processor (store/key -> JSON value).`,
      });
      // Parked and dead-lettered records are copies of input records (leads with contact
      // details among them): they must not outlive the records they copy.
      if (processor.retryLaterMs?.length) {
        const retry = retryTopic(appId, processor.name);
        specs.set(retry, {
          name: retry,
          partitions,
          cleanup: 'delete',
          retentionMs: shortestRetention(RETENTION.week, ...inputs.map((input) => input.retentionMs)),
          format: 'raw',
          keySchema: 'bytes',
          valueSchema: 'bytes',
          doc:
            `Input records of the ${processor.name} processor parked after a transient failure, ` +
            'each with its source, round, due time and error in lf-retry-* headers.',
        });
      }
      for (const input of inputs) {
        const dlq = dlqTopic(input.name);
        if (!specs.has(dlq)) {
          specs.set(dlq, {
            name: dlq,
            partitions: input.partitions,
            cleanup: 'delete',
            retentionMs: shortestRetention(RETENTION.month, input.retentionMs),
            format: 'avro',
            keySchema: 'string',
            valueSchema: loadSchema('dead-letter'),
            doc: `Records of ${input.name} that could not be read or processed, with the reason.`,
          });
        }
      }
    }
    return new Catalog(specs.values());
  }
}
