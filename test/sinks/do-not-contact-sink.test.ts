/**
 * The do-not-contact sink follows the compacted contacts.dnc topic, and re-reading the topic from
 * an earlier offset (a replay, a rebuilt task) never moves the table back, removals included.
 */
import pino from 'pino';
import type { ConsumedRecord } from '../../runtime/records';
import type { DoNotContactEntry } from '../../sinks/postgres/do-not-contact';
import { postgresSinks } from '../../sinks/postgres/processors';
import { TOPIC } from '../../topics/platform';
import { databasesUnderTest, removePgliteTemplate } from './databases';

jest.setTimeout(120_000);

afterAll(() => removePgliteTemplate());

const PHONE = 'phone:+14155550123';

function entry(reason: string): DoNotContactEntry {
  return { key: PHONE, kind: 'phone', reason, source: 'test', addedAt: Date.UTC(2026, 0, 5) };
}

const record = (
  offset: number,
  value: DoNotContactEntry | null,
): ConsumedRecord<DoNotContactEntry | null> => ({
  topic: TOPIC.doNotContact,
  partition: 2,
  offset,
  timestamp: 0,
  key: PHONE,
  value,
  headers: {},
});

describe.each(databasesUnderTest().map((choice) => [choice.kind, choice] as const))(
  'do-not-contact sink on %s',
  (_kind, choice) => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });
    const maybe = choice.gate.run ? test : test.skip;

    maybe('re-reading the topic from an earlier offset never restores a removed entry', async () => {
      const { db, dispose } = await choice.open();
      try {
        const sink = postgresSinks(db).find((p) => p.name === 'postgres-dnc')!;
        const flush = (records: ConsumedRecord<DoNotContactEntry | null>[]) =>
          sink.flush!(records as never[], { partition: 2, log: pino({ level: 'silent' }) });
        const listed = async () =>
          (
            await db.query<{ identity_key: string; reason: string }>(
              'SELECT identity_key, reason FROM do_not_contact',
            )
          ).rows;

        await flush([record(10, entry('first')), record(11, entry('asked again'))]);
        await flush([record(12, null)]);
        expect(await listed()).toEqual([]);

        // A replay from offset 10, one batch at a time: the tombstone at 12 comes last.
        await flush([record(10, entry('first'))]);
        expect(await listed()).toEqual([]);
        await flush([record(11, entry('asked again')), record(12, null)]);
        expect(await listed()).toEqual([]);

        // Set again later: listed; an old removal re-read does not take it off.
        await flush([record(13, entry('back on the list'))]);
        await flush([record(12, null)]);
        expect(await listed()).toEqual([{ identity_key: PHONE, reason: 'back on the list' }]);
        await flush([record(11, entry('asked again'))]);
        expect(await listed()).toEqual([{ identity_key: PHONE, reason: 'back on the list' }]);
      } finally {
        await dispose();
      }
    });
  },
);
