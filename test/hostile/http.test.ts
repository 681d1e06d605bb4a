/**
 * Hostile HTTP input against the real API on the embedded transport: generated garbage (seeded,
 * so a failure replays with the printed seed) interleaved with valid leads. Every garbage request
 * gets a 4xx with a JSON error naming the problem, the process keeps serving, and every valid lead
 * sent in between is in leads.raw.
 */
import fc from 'fast-check';
import type { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import type { RawLead } from '../../schemas/lead';
import { LEAD_LIMITS } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, readValues, type TransportHarness, transportsUnderTest } from '../support/harness';
import { bearer, get, type Json, startApi, type TestApi } from '../ingress/support';
import { FUZZ_CASES, FUZZ_FULL, FUZZ_SEED, preview, rawRequest, Tally } from './support';

jest.setTimeout(FUZZ_FULL ? 1_800_000 : 180_000);

type Outcome = 'rejected' | 'accepted_or_rejected';

interface Case {
  category: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** `rejected`: must be a 4xx. `accepted_or_rejected`: odd but legal content may also be a 202. */
  expect: Outcome;
  /** When rejected with problems, one of them must name this field (or a field inside it). */
  field?: string;
}

const embedded = transportsUnderTest().find((choice) => choice.kind === 'embedded')!;

// Paths into the sample lead and values of a type each of them does not take.
const TYPED_FIELDS = [
  'contact',
  'contact.firstName',
  'contact.lastName',
  'contact.email',
  'contact.phone',
  'contact.zip',
  'contact.state',
  'dateOfBirth',
  'line',
  'auto',
  'auto.vehicles',
  'auto.vehicles.0',
  'auto.vehicles.0.year',
  'auto.drivers',
  'coverage',
  'coverage.level',
  'currentInsurance.currentlyInsured',
  'consent',
  'consent.timestamp',
  'consent.text',
  'source.pricePaid',
  'notes',
];
const STRING_LIMITS: [string, number][] = [
  ['contact.firstName', LEAD_LIMITS.name],
  ['contact.lastName', LEAD_LIMITS.name],
  ['contact.email', LEAD_LIMITS.email],
  ['contact.phone', LEAD_LIMITS.phone],
  ['contact.addressLine1', LEAD_LIMITS.addressLine],
  ['contact.city', LEAD_LIMITS.city],
  ['contact.zip', LEAD_LIMITS.zip],
  ['consent.text', LEAD_LIMITS.consentText],
  ['consent.pageUrl', LEAD_LIMITS.url],
  ['notes', LEAD_LIMITS.notes],
];

const INJECTIONS = [
  "'; DROP TABLE leads; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(10)',
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '<%= 7*7 %>',
  '$(rm -rf /)',
  '`id`',
  '| cat /etc/passwd',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  'line one\r\n{"level":50,"msg":"forged log line"}',
  'x\r\nSet-Cookie: a=b',
  '%0d%0aInjected: yes',
];
const UNICODE = [
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\u0000',
  'nul\u0000inside',
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\ufeff',
  '😀👨‍👩‍👧‍👦🏳️‍🌈',
  'Z̴̧̛̖̈́a̵̡̛͎l̶͔̈g̸̢̛o̵',
  '\uffff\ufffe',
  'ｆｕｌｌｗｉｄｔｈ',
];

function setPath(target: Json, path: string, value: unknown): Json {
  const parts = path.split('.');
  let at: Json = target;
  for (const part of parts.slice(0, -1)) at = at[part] as Json;
  at[parts.at(-1)!] = value;
  return target;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Every hostile request body, generated from one seed. */
function hostileCases(): Case[] {
  const n = FUZZ_CASES;
  const sample = <T>(arbitrary: fc.Arbitrary<T>, count: number, offset: number) =>
    fc.sample(arbitrary, { seed: FUZZ_SEED + offset, numRuns: count });
  const validText = JSON.stringify(sampleLeadBody());
  const cases: Case[] = [];

  // Malformed JSON: a valid body cut short or corrupted at a random point, and random text.
  for (const [cut, junk] of sample(
    fc.tuple(
      fc.integer({ min: 0, max: validText.length - 1 }),
      fc.constantFrom('', '}', ',', '"', '\\', '{{', 'NaN'),
    ),
    n,
    1,
  )) {
    const body = validText.slice(0, cut) + junk;
    // Some cuts close the object again (a shorter lead is still a lead): only broken JSON counts.
    if (parseJson(body) === undefined) cases.push({ category: 'malformed_json', body, expect: 'rejected' });
  }
  for (const text of sample(fc.string({ unit: 'binary', maxLength: 200 }), n, 2)) {
    const parsed = parseJson(text);
    // A random string that happens to be JSON is still not a lead object.
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      cases.push({ category: 'malformed_json', body: text, expect: 'rejected' });
    }
  }

  // Wrong types per field.
  const wrongValue = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    fc.string({ maxLength: 20 }),
  );
  for (const [field, value] of sample(fc.tuple(fc.constantFrom(...TYPED_FIELDS), wrongValue), n, 3)) {
    cases.push({
      category: 'wrong_type',
      body: JSON.stringify(setPath(sampleLeadBody(), field, value)),
      expect: 'accepted_or_rejected',
      field,
    });
  }

  // Huge strings (past each field's limit, some past the 1 MiB body limit) and arrays.
  for (const [[field, limit], extra] of sample(
    fc.tuple(fc.constantFrom(...STRING_LIMITS), fc.integer({ min: 1, max: 1_200_000 })),
    Math.max(5, n / 4),
    4,
  )) {
    cases.push({
      category: 'huge_string',
      body: JSON.stringify(setPath(sampleLeadBody(), field, 'x'.repeat(limit + extra))),
      expect: 'rejected',
      field,
    });
  }
  for (const [field, count] of sample(
    fc.tuple(fc.constantFrom('auto.vehicles', 'auto.drivers'), fc.integer({ min: 11, max: 20_000 })),
    Math.max(5, n / 4),
    5,
  )) {
    const lead = sampleLeadBody() as Json;
    const item = (lead.auto as Json)[field.split('.')[1]!][0];
    cases.push({
      category: 'huge_array',
      body: JSON.stringify(
        setPath(
          lead,
          field,
          Array.from({ length: count }, () => item),
        ),
      ),
      expect: 'rejected',
      field,
    });
  }
  cases.push({
    category: 'huge_array',
    body: JSON.stringify({
      ...sampleLeadBody(),
      ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i])),
    }),
    expect: 'rejected',
  });

  // Deep nesting: 10k levels of arrays and objects, as the body, in a known field and an unknown one.
  const deep = (inner: string) => nested(10_000, '[', ']', inner);
  const deepObject = nested(10_000, '{"a":', '}', '1');
  cases.push({ category: 'deep_nesting', body: deep('1'), expect: 'rejected' });
  cases.push({ category: 'deep_nesting', body: deepObject, expect: 'rejected' });
  cases.push({
    category: 'deep_nesting',
    body: validText.replace(/}$/, `,"deep":${deep('1')}}`),
    expect: 'rejected',
  });
  cases.push({
    category: 'deep_nesting',
    body: validText.replace(/}$/, `,"deepObject":${deepObject}}`),
    expect: 'rejected',
  });
  cases.push({
    category: 'deep_nesting',
    body: validText.replace(/"notes":"[^"]*"/, `"notes":${deep('"x"')}`),
    expect: 'rejected',
    field: 'notes',
  });

  // Unicode edge cases in every kind of text field: legal JSON, so accepted or rejected by field.
  for (const [field, text] of sample(
    fc.tuple(
      fc.constantFrom(
        'contact.firstName',
        'contact.city',
        'notes',
        'consent.text',
        'contact.email',
        'contact.phone',
      ),
      fc.oneof(fc.constantFrom(...UNICODE), fc.string({ unit: 'binary', maxLength: 30 })),
    ),
    n,
    6,
  )) {
    cases.push({
      category: 'unicode',
      body: JSON.stringify(setPath(sampleLeadBody(), field, text)),
      expect: 'accepted_or_rejected',
      field,
    });
  }
  // Overlong and invalid UTF-8 sent raw inside a string, and a body in UTF-16.
  for (const bytes of [
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xff, 0xfe],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ]) {
    const [head, tail] = validText.split('Jane', 2) as [string, string];
    cases.push({
      category: 'invalid_utf8',
      body: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(`Jane${tail}`)]),
      expect: 'accepted_or_rejected',
    });
  }
  cases.push({
    category: 'invalid_utf8',
    body: Buffer.from(`\ufeff${validText}`, 'utf16le'),
    expect: 'rejected',
  });

  // Injection strings in text fields, NoSQL operators where values go, prototype pollution keys.
  for (const [field, text] of sample(
    fc.tuple(
      fc.constantFrom('contact.firstName', 'contact.city', 'notes', 'source.campaign'),
      fc.constantFrom(...INJECTIONS),
    ),
    Math.max(INJECTIONS.length, n / 2),
    7,
  )) {
    cases.push({
      category: 'injection',
      body: JSON.stringify(setPath(sampleLeadBody(), field, text)),
      expect: 'accepted_or_rejected',
      field,
    });
  }
  for (const field of ['contact.email', 'contact.phone', 'line', 'source.vendorId']) {
    for (const operator of [{ $gt: '' }, { $ne: null }, { $where: 'sleep(1000)' }, { $regex: '.*' }]) {
      cases.push({
        category: 'nosql_operator',
        body: JSON.stringify(setPath(sampleLeadBody(), field, operator)),
        expect: 'rejected',
        field,
      });
    }
  }
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    cases.push({
      category: 'prototype_pollution',
      body: validText.replace(/^{/, `{"${key}":{"polluted":true,"prototype":{"polluted":true}},`),
      expect: 'accepted_or_rejected',
    });
    cases.push({
      category: 'prototype_pollution',
      body: validText.replace(/"contact":{/, `"contact":{"${key}":{"polluted":true},`),
      expect: 'accepted_or_rejected',
    });
  }

  // Wrong content types and conflicting headers that fetch can still send.
  for (const type of [
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'image/png',
    '',
  ]) {
    cases.push({
      category: 'content_type',
      body: validText,
      headers: { 'content-type': type },
      expect: 'rejected',
    });
  }
  // The charset parameter is not honoured (bodies are read as UTF-8): real UTF-16 is invalid JSON.
  cases.push({
    category: 'content_type',
    body: Buffer.from(validText, 'utf16le'),
    headers: { 'content-type': 'application/json; charset=utf-16le' },
    expect: 'rejected',
  });
  for (const key of ['x'.repeat(256), 'x'.repeat(10_000), 'key with spaces', 'tab\tkey', '']) {
    cases.push({
      category: 'idempotency_key',
      body: validText,
      headers: { 'idempotency-key': key },
      expect: key === '' ? 'accepted_or_rejected' : 'rejected',
      field: key === '' ? undefined : 'Idempotency-Key',
    });
  }
  return cases;
}

/** A rejection must say what is wrong: an error code, a message, and for invalid fields which. */
function explainsItself(json: Json, field?: string): boolean {
  if (typeof json.error !== 'string' || json.error === '' || typeof json.message !== 'string') return false;
  if (!field || !Array.isArray(json.problems)) return true;
  return (json.problems as { field: string }[]).some(
    (p) => p.field === field || p.field.startsWith(`${field}.`) || field.startsWith(`${p.field}.`),
  );
}

(embedded.gate.run ? describe : describe.skip)('hostile HTTP input (embedded)', () => {
  let harness: TransportHarness;
  let transport: Transport;
  let codec: RecordCodec;
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    harness = embedded.create();
    transport = harness.connect();
    api = await startApi(transport, harness.registry(transport), {
      appId: harness.prefix,
      limits: { rateLimitPerMinute: 1_000_000 },
      timeouts: { requestMs: 1500, idleMs: 5000 },
    });
    port = Number(new URL(api.base).port);
    ({ codec } = await codecFor(transport, platformCatalog(), []));
  });

  afterAll(async () => {
    await api?.close();
    await harness?.dispose();
  });

  test('garbage gets a 4xx naming the problem; valid leads in between all land', async () => {
    const { apiKey } = await api.vendor('fuzzer');
    const auth = bearer(apiKey);
    const cases = hostileCases();
    const tally = new Tally();
    const failures: string[] = [];
    const validIds: string[] = [];
    let sentValid = 0;

    const sendValid = async () => {
      const body = { ...sampleLeadBody(), notes: `valid ${sentValid++}` };
      const response = await fetch(`${api.base}/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Json;
      if (response.status !== 202)
        failures.push(`valid lead answered ${response.status}: ${JSON.stringify(json)}`);
      else validIds.push(json.lead_id as string);
    };

    for (const [i, hostile] of cases.entries()) {
      const response = await fetch(`${api.base}/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, ...hostile.headers },
        body: hostile.body,
        // A hang fails the case by name instead of the whole test by its timeout.
        signal: AbortSignal.timeout(30_000),
      }).catch((error: Error) => error);
      if (response instanceof Error) {
        tally.count(0);
        failures.push(`no answer (${response.message}): ${hostile.category} ${preview(hostile.body)}`);
        continue;
      }
      const text = await response.text();
      tally.count(response.status);
      let json: Json = {};
      try {
        json = JSON.parse(text) as Json;
      } catch {
        // Checked below: every answer must be JSON.
      }
      const label = `${hostile.category} ${JSON.stringify(hostile.headers ?? {})} ${preview(hostile.body)} -> ${response.status} ${text.slice(0, 200)}`;
      if (response.status >= 500) failures.push(`5xx: ${label}`);
      else if (response.status === 202) {
        if (hostile.expect === 'rejected') failures.push(`accepted garbage: ${label}`);
        else validIds.push(json.lead_id as string);
      } else if (response.status < 400 || !explainsItself(json, hostile.field)) {
        failures.push(`unclear answer: ${label}`);
      }
      if (i % 10 === 0) await sendValid();
    }
    // The in-process server parsed the pollution attempts: nothing reached Object.prototype.
    expect(({} as Json).polluted).toBeUndefined();
    expect((await get(api.base, '/healthz')).status).toBe(200);

    const raw = (await readValues<RawLead>(transport, codec, TOPIC.leadsRaw)).filter(
      (l) => l.vendorId === 'fuzzer',
    );
    const stored = new Set(raw.map((l) => l.leadId));
    const lost = validIds.filter((id) => !stored.has(id));
    console.log(
      `${tally.summary('hostile HTTP bodies')}; ${sentValid} valid leads interleaved, ${lost.length} lost`,
    );
    expect(failures).toEqual([]);
    expect(validIds.length).toBeGreaterThanOrEqual(sentValid);
    expect(lost).toEqual([]);
  });

  test('duplicate, conflicting and missing headers, raw bytes: 4xx with JSON, never a hang', async () => {
    const { apiKey } = await api.vendor('headers');
    const body = JSON.stringify(sampleLeadBody());
    const request = (headers: string[], payload = body) =>
      [
        'POST /v1/leads HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: close',
        ...headers,
        `Content-Length: ${Buffer.byteLength(payload)}`,
        '',
        payload,
      ].join('\r\n');
    const json = 'Content-Type: application/json';
    const cases: [string, string | Buffer][] = [
      ['no Authorization', request([json])],
      ['empty Authorization', request([json, 'Authorization: '])],
      ['Basic credentials', request([json, 'Authorization: Basic dXNlcjpwYXNz'])],
      [
        'two Authorization, unknown one first',
        request([json, 'Authorization: Bearer lfk_nope', `Authorization: Bearer ${apiKey}`]),
      ],
      [
        'two Authorization, valid one first',
        request([json, `Authorization: Bearer ${apiKey}`, 'Authorization: Bearer lfk_nope']),
      ],
      ['Authorization with a CR', request([json, `Authorization: Bearer ${apiKey}\rX-Evil: 1`])],
      [
        'two Content-Type, the first not JSON',
        request(['Content-Type: text/plain', json, `Authorization: Bearer ${apiKey}`]),
      ],
      ['no Content-Type', request([`Authorization: Bearer ${apiKey}`])],
      [
        'Content-Length larger than the body',
        request([json, `Authorization: Bearer ${apiKey}`]).replace(
          /Content-Length: \d+/,
          'Content-Length: abc',
        ),
      ],
      [
        'two different Content-Length',
        request([json, `Authorization: Bearer ${apiKey}`, 'Content-Length: 3']),
      ],
      [
        'Transfer-Encoding and Content-Length',
        request([json, `Authorization: Bearer ${apiKey}`, 'Transfer-Encoding: chunked']),
      ],
      ['header line without a colon', request([json, `Authorization: Bearer ${apiKey}`, 'NoColonHere'])],
      ['NUL in a header', request([json, `Authorization: Bearer ${apiKey}`, 'X-Trace: a\u0000b'])],
      ['100 KB header', request([json, `Authorization: Bearer ${apiKey}`, `X-Big: ${'a'.repeat(100_000)}`])],
      ['garbage request line', 'BLAH /v1/leads HTTP/9.9\r\n\r\n'],
      ['binary noise', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256))],
    ];
    const tally = new Tally();
    const failures: string[] = [];
    for (const [name, bytes] of cases) {
      const response = await rawRequest(port, bytes, { timeoutMs: 15_000 });
      tally.count(response.status);
      const fromApi = /content-type: application\/json/i.test(response.headers);
      let json: Json = {};
      try {
        json = JSON.parse(response.body) as Json;
      } catch {
        // Checked below.
      }
      // Node's HTTP parser answers requests it cannot parse (400, 431) before the app sees them,
      // without a body; everything the app answers must explain itself.
      const clear = fromApi ? explainsItself(json) : [400, 408, 431].includes(response.status);
      if (response.status < 400 || response.status >= 500 || !clear) {
        failures.push(`${name}: ${response.status} ${response.body.slice(0, 200)}`);
      }
    }
    console.log(tally.summary('hostile HTTP headers'));
    expect(failures).toEqual([]);
    expect((await get(api.base, '/healthz')).status).toBe(200);
  });

  test('a slowloris body is timed out, and the server keeps serving meanwhile', async () => {
    const { apiKey } = await api.vendor('slowpoke');
    const body = JSON.stringify(sampleLeadBody());
    const head = [
      'POST /v1/leads HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Authorization: Bearer ${apiKey}`,
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n');
    const slow = Array.from({ length: 3 }, () =>
      rawRequest(port, head + body, { dribbleMs: 100, timeoutMs: 30_000 }),
    );
    // While the slow clients hold their connections, others are served.
    expect((await get(api.base, '/healthz')).status).toBe(200);
    const answers = await Promise.all(slow);
    for (const answer of answers) {
      // Node answers 408 (or hangs up) once the request timeout passes; the body was far from sent.
      expect([0, 408]).toContain(answer.status);
      expect(answer.elapsedMs).toBeLessThan(body.length * 100);
    }
    console.log(
      `slowloris: ${answers.length} clients cut off after ${answers.map((a) => a.elapsedMs).join(', ')} ms with ${answers.map((a) => a.status).join(', ')}`,
    );
    expect((await get(api.base, '/healthz')).status).toBe(200);
  });
});
