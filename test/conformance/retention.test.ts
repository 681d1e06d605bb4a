/**
 * Data-class retention on both transports: the topics of a class get the configured retention
 * when created, and again when the configuration changes for topics that exist; model.training
 * is compacted and deletes past retention.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { loadConfig, retentionSettings } from '../../config';
import type { TopicSpec } from '../../runtime/topic-spec';
import type { Transport } from '../../runtime/transport';
import type { KafkaTransport } from '../../runtime/transports/kafka';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { type TransportHarness, transportsUnderTest } from '../support/harness';

jest.setTimeout(120_000);

const DAY_MS = 24 * 3_600_000;
const TOPICS = [TOPIC.modelTraining, TOPIC.leadsRaw, TOPIC.leadsValid];

/** The class topics' specs under a configuration given as environment variables. */
const specsUnder = (env: Record<string, string>): TopicSpec[] => {
  const catalog = platformCatalog(retentionSettings(loadConfig(env)));
  return TOPICS.map((name) => catalog.get(name));
};

for (const choice of transportsUnderTest()) {
  const suite = choice.gate.run ? describe : describe.skip;
  suite(`data-class retention: ${choice.kind}`, () => {
    let harness: TransportHarness;
    let client: Transport;

    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });
    beforeEach(() => {
      harness = choice.create();
      client = harness.connect();
    });
    afterEach(async () => {
      await harness.dispose();
    });

    /** What the log itself says of each topic: on Kafka, the broker's topic configs. */
    async function settings(): Promise<Record<string, Record<string, string>>> {
      if (choice.kind === 'embedded') {
        return Object.fromEntries(
          (await client.describeTopics(TOPICS)).map((info) => [
            info.name,
            { 'cleanup.policy': info.cleanup, 'retention.ms': String(info.retentionMs ?? -1) },
          ]),
        );
      }
      const kafka = client as KafkaTransport;
      const { resources } = await (
        await kafka.admin()
      ).describeConfigs({
        includeSynonyms: false,
        resources: TOPICS.map((name) => ({
          type: 2,
          name: kafka.names.physical(name),
          configNames: ['cleanup.policy', 'retention.ms', 'segment.ms'],
        })),
      });
      return Object.fromEntries(
        resources.map((resource) => [
          kafka.names.logical(resource.resourceName),
          Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue])),
        ]),
      );
    }

    /**
     * The settings once they are `expected`, or as they are after 10 s: a broker applies new
     * configs shortly after it has answered the request.
     */
    async function settingsOnceAre(expected: Record<string, Record<string, string>>) {
      const deadline = Date.now() + 10_000;
      let current = await settings();
      while (!isDeepStrictEqual(current, expected) && Date.now() < deadline) {
        await sleep(100);
        current = await settings();
      }
      return current;
    }

    const onKafka = (segmentMs: number): Record<string, string> =>
      choice.kind === 'kafka' ? { 'segment.ms': String(segmentMs) } : {};

    test('topics are created with the retention the configuration sets for their class', async () => {
      await client.applyTopics(
        specsUnder({ RETENTION_RAW_LEADS_DAYS: '14', RETENTION_TRAINING_DAYS: '200' }),
      );
      expect(await settings()).toEqual({
        [TOPIC.modelTraining]: {
          'cleanup.policy': 'compact,delete',
          'retention.ms': String(200 * DAY_MS),
          ...onKafka(10 * 60_000),
        },
        [TOPIC.leadsRaw]: {
          'cleanup.policy': 'delete',
          'retention.ms': String(14 * DAY_MS),
          ...onKafka(DAY_MS),
        },
        [TOPIC.leadsValid]: {
          'cleanup.policy': 'delete',
          'retention.ms': String(14 * DAY_MS),
          ...onKafka(DAY_MS),
        },
      });
      const again = await client.applyTopics(
        specsUnder({ RETENTION_RAW_LEADS_DAYS: '14', RETENTION_TRAINING_DAYS: '200' }),
      );
      expect(again.map((change) => change.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    });

    test('existing topics take a changed retention, and the compacted training topic becomes compact,delete', async () => {
      // As a deployment from before data classes left it: compacted, kept forever.
      const [training, raw, valid] = specsUnder({});
      await client.applyTopics([{ ...training!, cleanup: 'compact', retentionMs: null }, raw!, valid!]);

      const changes = await client.applyTopics(
        specsUnder({ RETENTION_RAW_LEADS_DAYS: '10', RETENTION_TRAINING_DAYS: '30' }),
      );
      expect(changes.map((change) => [change.topic, change.action])).toEqual([
        [TOPIC.modelTraining, 'updated'],
        [TOPIC.leadsRaw, 'updated'],
        [TOPIC.leadsValid, 'updated'],
      ]);
      expect(changes[0]!.detail).toContain('compact,delete');
      expect(changes[1]!.detail).toContain(String(10 * DAY_MS));
      const expected = {
        [TOPIC.modelTraining]: {
          'cleanup.policy': 'compact,delete',
          'retention.ms': String(30 * DAY_MS),
          ...onKafka(10 * 60_000),
        },
        [TOPIC.leadsRaw]: {
          'cleanup.policy': 'delete',
          'retention.ms': String(10 * DAY_MS),
          ...onKafka(DAY_MS),
        },
        [TOPIC.leadsValid]: {
          'cleanup.policy': 'delete',
          'retention.ms': String(10 * DAY_MS),
          ...onKafka(DAY_MS),
        },
      };
      expect(await settingsOnceAre(expected)).toEqual(expected);
    });
  });
}
