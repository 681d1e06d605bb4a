/**
 * Operational promises of the API process: personal data stays out of the logs, and a shutdown
 * lets the requests in flight finish.
 */
import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { Transport } from '../../runtime/transport';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { type TransportHarness, transportsUnderTest } from '../support/harness';
import { bearer, post, startApi } from './support';

jest.setTimeout(60_000);

const embedded = transportsUnderTest().find((c) => c.kind === 'embedded')!;
let harness: TransportHarness;
let transport: Transport;

beforeAll(() => {
  harness = embedded.create();
  transport = harness.connect();
});
afterAll(() => harness.dispose());

test('phones and emails never reach the logs, whatever the request', async () => {
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const api = await startApi(transport, harness.registry(transport), { appId: harness.prefix, logTo: logs });
  try {
    const { apiKey } = await api.vendor('private');
    const body = sampleLeadBody();
    await post(api.base, '/v1/leads', body, bearer(apiKey));
    await post(
      api.base,
      '/v1/leads',
      `{"contact":{"phone":"(415) 867-5309","email":"Jane.OBrien@gmail.com"`,
      bearer(apiKey),
    );
    await post(api.base, '/v1/leads', { ...body, line: 'yacht' }, bearer(apiKey));
    await post(api.base, '/v1/leads', body, bearer('lfk_unknown'));
    await post(api.base, '/v1/leads/batch', { leads: [body, { contact: body.contact }] }, bearer(apiKey));
  } finally {
    await api.close();
  }
  expect(text).toContain('/v1/leads');
  for (const secret of ['867-5309', '8675309', 'OBrien@', 'Jane.OBrien', 'lfk_unknown'])
    expect(text).not.toContain(secret);
});

test('closing the server lets an upload in flight finish; its rows are all written', async () => {
  const api = await startApi(transport, harness.registry(transport), { appId: harness.prefix });
  const { apiKey } = await api.vendor('slow-uploader');
  const rows = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ ...sampleLeadBody(), notes: `row ${i}` }),
  );
  const boundary = 'leadflow-test-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.ndjson"\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const url = new URL(`${api.base}/v1/uploads`);
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...bearer(apiKey), 'content-type': `multipart/form-data; boundary=${boundary}` },
      },
      (response) => {
        let data = '';
        response.on('data', (chunk: Buffer) => (data += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: JSON.parse(data) as Record<string, unknown> }),
        );
      },
    );
    request.on('error', reject);
    request.write(head + rows.slice(0, 20).join('\n') + '\n');
    setTimeout(() => {
      request.end(rows.slice(20).join('\n') + tail);
    }, 500);
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const closing = api.close();
  const response = await answer;
  await closing;
  expect(response).toMatchObject({ status: 202, body: { rows_read: 40, accepted: 40, state: 'done' } });
});
