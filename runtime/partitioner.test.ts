import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { partitionFor } from './partitioner';

describe('partitionFor', () => {
  // kafkajs' DefaultPartitioner is the Java client's murmur2 partitioner, so agreeing with it means
  // Java and kafkajs producers place a key where our processors expect it.
  const kafkajs = Partitioners.DefaultPartitioner();

  test('matches the Java-compatible default partitioner for any key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({
          partitionId,
          leader: 0,
          partitionErrorCode: 0,
          replicas: [0],
          isr: [0],
        }));
        const expected = kafkajs({
          topic: 't',
          partitionMetadata,
          message: { key: Buffer.from(key, 'utf8'), value: null },
        });
        expect(partitionFor(key, n)).toBe(expected);
      }),
    );
  });
});
