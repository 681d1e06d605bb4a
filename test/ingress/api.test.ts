/**
 * The vendor API on both transports: every endpoint's happy path, its denials and its bad inputs,
 * over real HTTP against a real log (and, on Kafka, a real broker).
 */
import { parse } from 'csv-parse/sync';
import { rotateKey, setVendorStatus } from '../../ingress/auth/vendors';
import { validateProcessor } from '../../processors/validate/processor';
import type { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import type { RawLead } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import {
  codecFor,
  eventually,
  readValues,
  type TransportHarness,
  transportsUnderTest,
} from '../support/harness';
import { testBlind } from '../support/privacy';
import { bearer, get, post, startApi, type TestApi, token, upload } from './support';

jest.setTimeout(120_000);

const lead = (notes = 'call after 5') => ({ ...sampleLeadBody(), notes });

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`vendor API: ${choice.kind}`, () => {
    let harness: TransportHarness;
    let transport: Transport;
    let codec: RecordCodec;
    let api: TestApi;

    const rawLeadsOf = async (vendorId: string) =>
      (await readValues<RawLead>(transport, codec, TOPIC.leadsRaw)).filter((l) => l.vendorId === vendorId);

    beforeAll(async () => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
      harness = choice.create();
      transport = harness.connect();
      const registry = harness.registry(transport);
      api = await startApi(transport, registry, {
        appId: harness.prefix,
        stages: [validateProcessor({ consentMaxAgeDays: 90, blind: testBlind }) as never],
      });
      ({ codec } = await codecFor(transport, platformCatalog(), []));
    });

    afterAll(async () => {
      await api?.close();
      await harness?.dispose();
    });

    test('POST /v1/leads answers 202 once the lead is in leads.raw, kept as sent', async () => {
      const { apiKey } = await api.vendor('acme');
      const body = { ...lead(), partnerRef: 'x-1' };
      const response = await post(api.base, '/v1/leads', body, bearer(apiKey));
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({ status: 'accepted', lead_id: expect.any(String) });
      // Durable when answered: readable right away, without waiting.
      const [raw] = await rawLeadsOf('acme');
      expect(raw).toMatchObject({ leadId: response.json.lead_id, vendorId: 'acme', channel: 'api' });
      expect(JSON.parse(raw!.body)).toEqual(body);
      expect(raw!.lead?.extra).toEqual({ partnerRef: '"x-1"' });
    });

    test('bad input: malformed JSON, wrong types, missing fields, oversized, wrong content type', async () => {
      const { apiKey } = await api.vendor('sloppy');
      const auth = bearer(apiKey);
      const malformed = await post(api.base, '/v1/leads', '{"contact": {', auth);
      expect(malformed).toMatchObject({ status: 400, json: { error: 'invalid_json' } });

      const wrongTypes = await post(
        api.base,
        '/v1/leads',
        { ...lead(), contact: { ...lead().contact, phone: {} }, auto: [] },
        auth,
      );
      expect(wrongTypes.status).toBe(400);
      expect(wrongTypes.json.error).toBe('invalid_lead');
      expect(wrongTypes.json.problems).toEqual(
        expect.arrayContaining([
          { field: 'contact.phone', code: 'invalid_type', message: expect.any(String) },
          { field: 'auto', code: 'invalid_type', message: expect.any(String) },
        ]),
      );

      const { contact, ...noContact } = lead();
      const missing = await post(
        api.base,
        '/v1/leads',
        { ...noContact, contact: { ...contact, lastName: '' }, line: undefined },
        auth,
      );
      expect(missing.json.problems.map((p: { field: string; code: string }) => [p.field, p.code])).toEqual(
        expect.arrayContaining([
          ['contact.lastName', 'required'],
          ['line', expect.any(String)],
        ]),
      );
      expect((await post(api.base, '/v1/leads', [lead()], auth)).json.problems[0]).toMatchObject({
        field: '',
        code: 'invalid_type',
      });

      const oversized = await post(api.base, '/v1/leads', { ...lead(), notes: 'x'.repeat(1_100_000) }, auth);
      expect(oversized).toMatchObject({ status: 413, json: { error: 'body_too_large' } });

      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
        const response = await post(api.base, '/v1/leads', JSON.stringify(lead()), {
          ...auth,
          'content-type': type,
        });
        expect({ type, status: response.status, error: response.json.error }).toEqual({
          type,
          status: 415,
          error: 'unsupported_media_type',
        });
      }
      expect(await rawLeadsOf('sloppy')).toEqual([]);
    });

    test('a batch is all or nothing, and no larger than the limit', async () => {
      const { apiKey } = await api.vendor('batcher');
      const auth = bearer(apiKey);
      const accepted = await post(
        api.base,
        '/v1/leads/batch',
        { leads: [lead('1'), lead('2'), lead('3')] },
        auth,
      );
      expect(accepted.status).toBe(202);
      expect(accepted.json.lead_ids).toHaveLength(3);
      const invalid = await post(
        api.base,
        '/v1/leads/batch',
        { leads: [lead('4'), { ...lead('5'), line: 'boat' }] },
        auth,
      );
      expect(invalid.status).toBe(400);
      expect(invalid.json.problems).toEqual([
        { field: 'leads.1.line', code: 'invalid_value', message: expect.any(String) },
      ]);
      const tooMany = await post(
        api.base,
        '/v1/leads/batch',
        { leads: Array.from({ length: 6 }, () => lead()) },
        auth,
      );
      expect(tooMany.json.problems).toEqual([
        { field: 'leads', code: 'too_many_items', message: expect.any(String) },
      ]);
      const empty = await post(api.base, '/v1/leads/batch', { leads: [] }, auth);
      expect(empty.json.problems[0]).toMatchObject({ field: 'leads', code: 'out_of_range' });
      expect((await post(api.base, '/v1/leads/batch', {}, auth)).json.problems[0]).toMatchObject({
        field: 'leads',
        code: 'required',
      });
      const written = await rawLeadsOf('batcher');
      expect(written.map((l) => l.leadId).sort()).toEqual([...accepted.json.lead_ids].sort());
    });

    test('vendor keys: missing, malformed, unknown, rotated past grace and disabled are refused', async () => {
      const { vendor, apiKey } = await api.vendor('rotator');
      expect((await post(api.base, '/v1/leads', lead(), {})).json.error).toBe('missing_credentials');
      const missing = await post(api.base, '/v1/leads', lead(), {});
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      for (const header of [`Basic ${apiKey}`, 'Bearer', `Bearer ${apiKey} extra`]) {
        const response = await post(api.base, '/v1/leads', lead(), { authorization: header });
        expect({ header, status: response.status, error: response.json.error }).toMatchObject({
          status: 401,
          error: 'malformed_credentials',
        });
      }
      expect((await post(api.base, '/v1/leads', lead(), bearer(`${apiKey}x`))).json).toMatchObject({
        error: 'unknown_api_key',
      });

      const rotated = rotateKey(vendor, { now: Date.now(), graceMs: 3000 });
      await api.saveVendor(rotated.vendor);
      await eventually(
        async () => (await post(api.base, '/v1/leads', lead(), bearer(rotated.apiKey))).status === 202,
        30_000,
        'the new key',
      );
      // Within the grace period both keys work; after it the old one has expired.
      expect((await post(api.base, '/v1/leads', lead(), bearer(apiKey))).status).toBe(202);
      await eventually(
        async () => (await post(api.base, '/v1/leads', lead(), bearer(apiKey))).status === 401,
        30_000,
        'the old key to expire',
      );
      expect((await post(api.base, '/v1/leads', lead(), bearer(apiKey))).json.error).toBe('api_key_expired');

      await api.saveVendor(setVendorStatus(rotated.vendor, 'disabled', Date.now()));
      await eventually(
        async () => (await post(api.base, '/v1/leads', lead(), bearer(rotated.apiKey))).status === 403,
        30_000,
        'disable',
      );
      expect((await post(api.base, '/v1/leads', lead(), bearer(rotated.apiKey))).json.error).toBe(
        'vendor_disabled',
      );
    });

    test('tokens: expired, forged, wrong role and wrong scope are refused; vendors cannot reach admin routes', async () => {
      const { apiKey } = await api.vendor('curious');
      const replay = (headers: Record<string, string>) =>
        post(api.base, '/v1/admin/replay', { stage: 'validate', from: 'earliest', dry_run: true }, headers);
      const expired = token('admin', ['replay'], { ttlSeconds: 60, now: Date.now() - 3_600_000 });
      expect(await replay(bearer(expired))).toMatchObject({ status: 401, json: { error: 'token_expired' } });
      const forged = `${token('admin', ['replay']).slice(0, -4)}AAAA`;
      expect(await replay(bearer(forged))).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
      expect(await replay(bearer('a.b.c'))).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
      expect(await replay(bearer(token('agent', ['replay'])))).toMatchObject({
        status: 403,
        json: { error: 'forbidden' },
      });
      expect(await replay(bearer(token('admin', ['leads:read'])))).toMatchObject({
        status: 403,
        json: { error: 'insufficient_scope' },
      });
      expect(await replay(bearer(apiKey))).toMatchObject({ status: 403, json: { error: 'forbidden' } });
      // Tokens are not for submitting leads on a vendor's behalf.
      expect((await post(api.base, '/v1/leads', lead(), bearer(token('admin', ['replay'])))).status).toBe(
        403,
      );
      expect(await replay(bearer(token('admin', ['replay'])))).toMatchObject({
        status: 200,
        json: { dry_run: true },
      });
    });

    test('Idempotency-Key: a retry gets the same answer, another body with the key is 422, concurrent duplicates write once', async () => {
      const { apiKey } = await api.vendor('retrier');
      const headers = { ...bearer(apiKey), 'idempotency-key': 'order-1' };
      const first = await post(api.base, '/v1/leads', lead(), headers);
      const retry = await post(api.base, '/v1/leads', lead(), headers);
      expect(first.status).toBe(202);
      expect(retry).toMatchObject({ status: 202, json: first.json });
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await post(api.base, '/v1/leads', lead('changed'), headers)).toMatchObject({
        status: 422,
        json: { error: 'idempotency_key_reused' },
      });
      const bad = await post(api.base, '/v1/leads', lead(), {
        ...bearer(apiKey),
        'idempotency-key': 'x'.repeat(300),
      });
      expect(bad.json.problems[0]).toMatchObject({ field: 'Idempotency-Key', code: 'invalid_format' });

      const burst = await Promise.all(
        Array.from({ length: 8 }, () =>
          post(api.base, '/v1/leads', lead(), { ...bearer(apiKey), 'idempotency-key': 'order-2' }),
        ),
      );
      const ids = new Set(burst.filter((r) => r.status === 202).map((r) => r.json.lead_id));
      expect(ids.size).toBe(1);
      expect(
        burst.every(
          (r) => r.status === 202 || (r.status === 409 && r.json.error === 'idempotency_in_progress'),
        ),
      ).toBe(true);
      const written = await rawLeadsOf('retrier');
      expect(written.map((l) => l.leadId).sort()).toEqual([first.json.lead_id, ...ids].sort());
    });

    test('rate limits are per vendor, with Retry-After on 429', async () => {
      const slow = await api.vendor('slow', { rateLimitPerMinute: 2 });
      const other = await api.vendor('other');
      expect((await post(api.base, '/v1/leads', lead(), bearer(slow.apiKey))).status).toBe(202);
      expect((await post(api.base, '/v1/leads', lead(), bearer(slow.apiKey))).status).toBe(202);
      const limited = await post(api.base, '/v1/leads', lead(), bearer(slow.apiKey));
      expect(limited).toMatchObject({ status: 429, json: { error: 'rate_limited' } });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.json.retry_after_seconds).toBeGreaterThan(0);
      expect((await post(api.base, '/v1/leads', lead(), bearer(other.apiKey))).status).toBe(202);
      expect(await rawLeadsOf('slow')).toHaveLength(2);
    });

    test('uploads: readable rows go to leads.raw, unreadable ones to the report; status and report are the vendor’s own', async () => {
      const owner = await api.vendor('uploader');
      const stranger = await api.vendor('stranger');
      const csv =
        'contact.firstName,contact.lastName,contact.phone,contact.state,contact.zip,line\n' +
        'Jane,Doe,4155550100,CA,94103,auto\n' +
        '"Ann"x,Lee,4155550101,CA,94103,auto\n' +
        'Bo,Chan,4155550102,CA\n' +
        'Cy,Diaz,4155550103,CA,94103,home\n';
      const uploaded = await upload(api.base, 'leads.csv', csv, bearer(owner.apiKey));
      expect(uploaded.status).toBe(202);
      expect(uploaded.json).toMatchObject({
        state: 'done',
        rows_read: 4,
        accepted: 2,
        unreadable: 2,
        format: 'csv',
      });
      const id = uploaded.json.upload_id as string;
      const written = await rawLeadsOf('uploader');
      expect(written.map((l) => l.lead?.contact.firstName).sort()).toEqual(['Cy', 'Jane']);
      expect(written.every((l) => l.channel === 'file')).toBe(true);

      const status = await get(api.base, `/v1/uploads/${id}`, bearer(owner.apiKey));
      expect(status.json).toMatchObject({ upload_id: id, done: true, accepted: 2, unreadable: 2 });
      const report = await get(api.base, `/v1/uploads/${id}/report.csv`, bearer(owner.apiKey));
      expect(report.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(parse(report.text, { columns: true })).toEqual([
        { row: '3', field: '', code: 'bad_quoting', reason: expect.any(String) },
        { row: '4', field: '', code: 'ragged_row', reason: 'row has 4 fields; the header has 6' },
      ]);
      for (const path of [`/v1/uploads/${id}`, `/v1/uploads/${id}/report.csv`]) {
        expect((await get(api.base, path, bearer(stranger.apiKey))).status).toBe(404);
        expect((await get(api.base, path, bearer(token('agent', [])))).status).toBe(403);
        expect((await get(api.base, path, bearer(token('admin', ['uploads:read'])))).status).toBe(200);
      }

      const mapped = await upload(
        api.base,
        'vendor-export.jsonl',
        '{"First":"Dee","Last":"Fox","Tel":"4155550104","contact":{"state":"CA","zip":"94103"},"line":"life"}\n',
        bearer(owner.apiKey),
        '?map=First%3Dcontact.firstName,Last%3Dcontact.lastName,Tel%3Dcontact.phone',
      );
      expect(mapped.json).toMatchObject({ format: 'ndjson', accepted: 1, unreadable: 0 });
      expect(
        (await rawLeadsOf('uploader')).find((l) => l.lead?.contact.firstName === 'Dee')?.lead?.contact.phone,
      ).toBe('4155550104');
    });

    test('upload bad inputs: not multipart, no file, unknown type, bad mapping, unreadable file, unknown upload', async () => {
      const { apiKey } = await api.vendor('uploader2');
      const auth = bearer(apiKey);
      expect(await post(api.base, '/v1/uploads', { leads: [] }, auth)).toMatchObject({
        status: 415,
        json: { error: 'unsupported_media_type' },
      });
      const noFile = new FormData();
      noFile.append('note', 'no file here');
      const withoutFile = await fetch(`${api.base}/v1/uploads`, {
        method: 'POST',
        headers: auth,
        body: noFile,
      });
      expect(withoutFile.status).toBe(400);
      expect(((await withoutFile.json()) as { problems: unknown[] }).problems[0]).toMatchObject({
        field: 'file',
        code: 'required',
      });
      expect(await upload(api.base, 'leads.xlsx', 'PK', auth)).toMatchObject({
        status: 415,
        json: { error: 'unsupported_file_type' },
      });
      const badMap = await upload(api.base, 'leads.csv', 'a\n1\n', auth, '?map=a%3Dcontact.nope');
      expect(badMap).toMatchObject({
        status: 400,
        json: { problems: [{ field: 'map', code: 'invalid_value' }] },
      });
      const missingColumn = await upload(api.base, 'leads.csv', 'a\n1\n', auth, '?map=Phone%3Dcontact.phone');
      expect(missingColumn).toMatchObject({
        status: 400,
        json: { error: 'unreadable_file', problems: [{ field: 'map' }] },
      });
      const empty = await upload(api.base, 'leads.csv', '', auth);
      expect(empty).toMatchObject({ status: 400, json: { error: 'unreadable_file' } });
      const failed = await get(api.base, `/v1/uploads/${empty.json.upload_id}`, auth);
      expect(failed.json).toMatchObject({ state: 'failed', error: expect.stringContaining('empty') });
      expect((await get(api.base, '/v1/uploads/not-a-uuid', auth)).json.problems[0]).toMatchObject({
        field: 'id',
      });
      expect(
        (await get(api.base, `/v1/uploads/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, auth)).status,
      ).toBe(404);
    });

    test('an upload over the size limit is refused with 413', async () => {
      const small = await startApi(transport, harness.registry(transport), {
        appId: harness.prefix,
        limits: { uploadMaxBytes: 2000 },
      });
      try {
        const { apiKey } = await small.vendor('bulky');
        const rows = Array.from({ length: 300 }, (_, i) => `{"notes":"row ${i}"}`).join('\n');
        expect(await upload(small.base, 'big.ndjson', rows, bearer(apiKey))).toMatchObject({
          status: 413,
          json: { error: 'file_too_large' },
        });
      } finally {
        await small.close();
      }
    });

    test('replay re-runs a stage over a range, marking what it writes; admins only', async () => {
      const { apiKey } = await api.vendor('replayed');
      await post(api.base, '/v1/leads/batch', { leads: [lead('r1'), lead('r2')] }, bearer(apiKey));
      const admin = bearer(token('admin', ['replay']));
      const dry = await post(
        api.base,
        '/v1/admin/replay',
        { stage: 'validate', from: 'earliest', dry_run: true },
        admin,
      );
      expect(dry.status).toBe(200);
      const inRaw = (await transport.describeTopics([TOPIC.leadsRaw]))[0]!.endOffsets.reduce(
        (a, b) => a + b,
        0,
      );
      expect(dry.json.records).toBe(inRaw);
      const started = await post(
        api.base,
        '/v1/admin/replay',
        { stage: 'validate', from: 'earliest' },
        admin,
      );
      expect(started).toMatchObject({ status: 202, json: { state: 'running', records: inRaw } });
      let status: Record<string, unknown> = {};
      await eventually(
        async () => {
          status = (await get(api.base, started.json.status_url as string, admin)).json;
          return status.state !== 'running';
        },
        90_000,
        'replay to finish',
      );
      expect(status).toMatchObject({ state: 'done', done: inRaw });
      // validate writes one record per lead, to leads.by-phone or leads.rejected, each marked.
      const marked = async (topic: string) =>
        (await transport.read(topic)).filter((r) => r.headers['lf-replay'] === '1').length;
      expect((await marked(TOPIC.leadsByPhone)) + (await marked(TOPIC.leadsRejected))).toBe(inRaw);

      expect(
        (await post(api.base, '/v1/admin/replay', { stage: 'nope', from: 'earliest' }, admin)).json
          .problems[0],
      ).toMatchObject({
        field: 'stage',
      });
      expect(
        (await post(api.base, '/v1/admin/replay', { stage: 'validate', from: 'last week' }, admin)).json
          .problems[0],
      ).toMatchObject({
        field: 'from',
        code: 'invalid_format',
      });
      expect(
        (await post(api.base, '/v1/admin/replay', { stage: 'validate' }, admin)).json.problems[0],
      ).toMatchObject({
        field: 'from',
        code: 'required',
      });
    });

    test('OpenAPI at /docs and /docs/json; /readyz checks the transport', async () => {
      const spec = await get(api.base, '/docs/json');
      expect(Object.keys(spec.json.paths)).toEqual(
        expect.arrayContaining([
          '/v1/leads',
          '/v1/leads/batch',
          '/v1/leads/{id}',
          '/v1/uploads',
          '/v1/admin/replay',
        ]),
      );
      expect(
        spec.json.paths['/v1/leads'].post.requestBody.content['application/json'].schema.properties.contact,
      ).toBeDefined();
      expect((await get(api.base, '/docs')).status).toBeLessThan(400);
      expect(await get(api.base, '/readyz')).toMatchObject({
        status: 200,
        json: { status: 'ready', checks: { transport: 'ok' } },
      });
      expect((await get(api.base, '/v1/nothing')).json.error).toBe('not_found');
    });
  });
}
