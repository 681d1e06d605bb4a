/** Consumer lag as /metrics reports it, read from each transport the same way. */
import { consumerLag } from '../../sinks/metrics/consumer-lag';
import { transportsUnderTest } from '../support/harness';

jest.setTimeout(120_000);

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`consumer lag: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('is the end offset minus the committed offset, per group and input', async () => {
      const harness = choice.create();
      try {
        const transport = harness.connect();
        await transport.applyTopics([
          {
            name: 'lag.in',
            partitions: 2,
            cleanup: 'delete',
            retentionMs: null,
            format: 'raw',
            keySchema: 'string',
            valueSchema: 'bytes',
            doc: 'consumer lag test input',
          },
        ]);
        const record = (partition: number) => ({
          topic: 'lag.in',
          partition,
          key: Buffer.from('k'),
          value: Buffer.from('v'),
          headers: {},
          timestamp: Date.now(),
        });
        await transport.produce([record(0), record(0), record(0), record(1), record(1)]);
        const appId = harness.prefix;
        await transport.setCommittedOffsets(`${appId}.reader`, 'lag.in', [{ partition: 0, offset: 2 }]);
        const source = { transport, appId, processors: [{ name: 'reader', inputs: ['lag.in'] }] };
        // Partition 0: 3 written, 2 committed; partition 1: 2 written, nothing committed.
        expect(await consumerLag(source)).toEqual([
          { group: `${appId}.reader`, topic: 'lag.in', records: 3 },
        ]);
        await transport.setCommittedOffsets(`${appId}.reader`, 'lag.in', [
          { partition: 0, offset: 3 },
          { partition: 1, offset: 2 },
        ]);
        expect(await consumerLag(source)).toEqual([
          { group: `${appId}.reader`, topic: 'lag.in', records: 0 },
        ]);
      } finally {
        await harness.dispose();
      }
    });
  });
}
