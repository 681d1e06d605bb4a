import { sampleLeadBody } from '../../schemas/lead-samples';
import type { RawLead } from '../../schemas/lead';
import { ingestFile } from './ingest';

const source = (text: string) =>
  (async function* () {
    yield Buffer.from(text);
  })();

const lines = (count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ ...sampleLeadBody(), notes: `lead ${i}` })).join(
    '\n',
  );

test('rows go to the writer in batches, one write at a time, with counts and unreadable rows', async () => {
  const batches: RawLead[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const progress = await ingestFile({
    source: source(`${lines(5)}\nnot json\n${lines(6)}\n`),
    format: 'ndjson',
    batchSize: 4,
    vendorOf: () => 'acme',
    write: async (leads) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      batches.push(leads);
      inFlight -= 1;
      return [];
    },
  });
  expect(batches.map((b) => b.length)).toEqual([4, 4, 3]);
  expect(maxInFlight).toBe(1);
  expect(progress).toMatchObject({ rowsRead: 12, accepted: 11, unreadable: 1 });
  expect(progress.problems).toEqual([
    { row: 6, field: '', code: 'invalid_json', reason: expect.any(String) },
  ]);
  const lead = batches[0]![0]!;
  expect(lead).toMatchObject({ vendorId: 'acme', channel: 'file' });
  expect(lead.lead?.contact.firstName).toBe('Jane');
  expect(JSON.parse(lead.body)).toEqual({ ...sampleLeadBody(), notes: 'lead 0' });
});

test('a failed write stops the ingest with its error', async () => {
  await expect(
    ingestFile({
      source: source(lines(10)),
      format: 'ndjson',
      batchSize: 3,
      vendorOf: () => 'acme',
      write: async () => {
        throw new Error('log unavailable');
      },
    }),
  ).rejects.toThrow('log unavailable');
});

test('rows kept out by caps are counted and reported by line, and not as written', async () => {
  const progress = await ingestFile({
    source: source(`${lines(3)}\nnot json\n${lines(3)}\n`),
    format: 'ndjson',
    batchSize: 4,
    vendorOf: () => 'acme',
    // The second lead of every batch is over a cap.
    write: async (leads) =>
      leads.length > 1 ? [{ index: 1, code: 'cap_reached', message: 'over the cap' }] : [],
  });
  expect(progress).toMatchObject({ rowsRead: 7, accepted: 4, unreadable: 1, refused: 2 });
  expect(progress.problems.map((p) => [p.row, p.code])).toEqual([
    [4, 'invalid_json'],
    [2, 'cap_reached'],
    [7, 'cap_reached'],
  ]);
});
