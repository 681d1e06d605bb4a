/**
 * Rate limits and Idempotency-Key with Redis (REDIS_URL): shared by every API process, so two
 * processes behind a load balancer count and remember together.
 */
import net from 'node:net';
import type { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import type { RawLead } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, readValues, type TransportHarness, transportsUnderTest } from '../support/harness';
import { redisGate, redisUrl } from '../support/services';
import { bearer, get, post, startApi, type TestApi } from './support';

jest.setTimeout(120_000);

const gate = redisGate();
const embedded = transportsUnderTest().find((c) => c.kind === 'embedded')!;

(gate.run ? describe : describe.skip)('API with Redis', () => {
  let harness: TransportHarness;
  let transport: Transport;
  let codec: RecordCodec;
  let first: TestApi;
  let second: TestApi;

  beforeAll(async () => {
    if (gate.reason) throw new Error(gate.reason);
    harness = embedded.create();
    transport = harness.connect();
    const registry = harness.registry(transport);
    // Two API processes of one deployment: same app id, same Redis, each its own connection.
    first = await startApi(transport, registry, { appId: harness.prefix, redisUrl });
    second = await startApi(harness.connect(), registry, { appId: harness.prefix, redisUrl });
    ({ codec } = await codecFor(transport, platformCatalog(), []));
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await harness?.dispose();
  });

  test('a vendor’s limit counts requests to every process', async () => {
    const { apiKey } = await first.vendor('shared-limit', { rateLimitPerMinute: 3 });
    // Vendors are one partition, read in order: once the second API knows the probe, it knows both.
    await second.vendor('shared-limit-probe');
    const statuses = [];
    for (const api of [first, second, first, second]) {
      statuses.push((await post(api.base, '/v1/leads', sampleLeadBody(), bearer(apiKey))).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  test('an Idempotency-Key answered by one process is replayed by the other; concurrent duplicates write once', async () => {
    const { apiKey } = await first.vendor('shared-idempotency');
    const headers = { ...bearer(apiKey), 'idempotency-key': 'k-1' };
    const answered = await post(first.base, '/v1/leads', sampleLeadBody(), headers);
    const replayed = await post(second.base, '/v1/leads', sampleLeadBody(), headers);
    expect(replayed).toMatchObject({ status: 202, json: answered.json });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(
      (await post(second.base, '/v1/leads', { ...sampleLeadBody(), notes: 'other' }, headers)).status,
    ).toBe(422);

    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post([first, second][i % 2]!.base, '/v1/leads', sampleLeadBody(), {
          ...bearer(apiKey),
          'idempotency-key': 'k-2',
        }),
      ),
    );
    expect(new Set(burst.filter((r) => r.status === 202).map((r) => r.json.lead_id)).size).toBe(1);
    const written = (await readValues<RawLead>(transport, codec, TOPIC.leadsRaw)).filter(
      (l) => l.vendorId === 'shared-idempotency',
    );
    expect(written).toHaveLength(2);
  });

  test('/readyz checks Redis, and says not ready when it does not answer', async () => {
    expect(await get(first.base, '/readyz')).toMatchObject({
      status: 200,
      json: { checks: { redis: 'ok' } },
    });
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const unreachable = await startApi(transport, harness.registry(transport), {
      appId: harness.prefix,
      redisUrl: `redis://127.0.0.1:${closed}`,
    });
    try {
      const ready = await get(unreachable.base, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({
        status: 'not_ready',
        checks: { transport: 'ok', redis: expect.stringMatching(/^unavailable/) },
      });
    } finally {
      await unreachable.close();
    }
  });
});
