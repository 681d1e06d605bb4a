/**
 * Security checks: every non-public route turns away missing, expired, foreign and
 * under-privileged credentials (routes found from Fastify's own table, so a new one is covered
 * without editing this file); no phone or email reaches the logs of the API or the intake stages;
 * no secret is written into the source.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import type { RouteOptions } from 'fastify';
import type { Access } from '../../ingress/auth/access';
import { issueToken, ROLES } from '../../ingress/auth/tokens';
import { openDashboardSource } from '../../ingress/dashboard/source';
import { topology } from '../../app/topology';
import { Pipeline } from '../../runtime/pipeline';
import type { Transport } from '../../runtime/transport';
import { sampleLeadBody, sampleRawLead } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, testLog, type TransportHarness, transportsUnderTest } from '../support/harness';
import { bearer, type Json, post, startApi, type TestApi, token } from '../ingress/support';
import { openTestVault, TEST_PRIVACY_SETTINGS } from '../support/privacy';
import { Tally } from './support';

jest.setTimeout(180_000);

/** Routes as Fastify registers them, caught on the way in (the table exposes no route config). */
const mockRoutes: RouteOptions[] = [];
jest.mock('fastify', () => {
  const actual = jest.requireActual('fastify');
  const factory = (options: unknown) => {
    const app = actual(options);
    app.addHook('onRoute', (route: RouteOptions) => mockRoutes.push(route));
    return app;
  };
  return Object.assign(factory, actual, { default: factory, fastify: factory, __esModule: true });
});

/** Routes anyone may call, on purpose. Anything else must declare `config.access`. */
const PUBLIC_ROUTES = [/^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/docs(\/.*)?$/, /^\/dashboard(\/.*)?$/];

const embedded = transportsUnderTest().find((choice) => choice.kind === 'embedded')!;

(embedded.gate.run ? describe : describe.skip)('security (embedded)', () => {
  let harness: TransportHarness;
  let api: TestApi;
  let pipeline: Pipeline | undefined;
  let transport: Transport;
  let dashboard: Awaited<ReturnType<typeof openDashboardSource>> | undefined;
  const logLines: string[] = [];

  beforeAll(async () => {
    harness = embedded.create();
    transport = harness.connect();
    const registry = harness.registry(transport);
    const logTo = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    await transport.applyTopics(platformCatalog().all());
    dashboard = await openDashboardSource({ transport, registry, log: testLog });
    api = await startApi(transport, registry, {
      appId: harness.prefix,
      dashboard: dashboard.source,
      logTo,
      logLevel: 'debug',
      limits: { rateLimitPerMinute: 1_000_000 },
    });
    const intake = new Set(['validate', 'screen-phone', 'screen-email', 'enrich-score-match']);
    const stages = topology({
      LEADFLOW_DUPLICATE_WINDOW_DAYS: 30,
      LEADFLOW_CONSENT_MAX_AGE_DAYS: 90,
      ...TEST_PRIVACY_SETTINGS,
    }).filter((p) => intake.has(p.name));
    expect(stages).toHaveLength(intake.size);
    const pino = (await import('pino')).default;
    pipeline = await Pipeline.start({
      appId: harness.prefix,
      transport,
      keys: await openTestVault(transport),
      registry,
      catalog: platformCatalog(),
      processors: stages,
      log: pino({ level: 'debug' }, logTo),
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
    await api?.close();
    await dashboard?.close();
    await harness?.dispose();
  });

  test('every non-public route rejects missing, expired, foreign and under-privileged credentials', async () => {
    const { apiKey } = await api.vendor('intruder');
    const routes = mockRoutes.flatMap((route) =>
      [route.method]
        .flat()
        .filter((method) => method !== 'HEAD')
        .map((method) => ({ method, url: route.url, access: route.config?.access as Access | undefined })),
    );
    const unprotected = routes.filter((r) => !r.access && !PUBLIC_ROUTES.some((p) => p.test(r.url)));
    expect(unprotected).toEqual([]);
    const guarded = routes.filter((r) => r.access);
    expect(guarded.length).toBeGreaterThan(10);

    const now = Date.now();
    const expired = issueToken(
      'test-secret-that-is-long-enough-0123456789',
      { subject: 'admin-1', role: 'admin', scopes: ['*'], ttlSeconds: 60 },
      now - 3_600_000,
    );
    const foreign = issueToken(
      'another-secret-that-is-long-enough-987654321',
      { subject: 'admin-1', role: 'admin', scopes: ['*'], ttlSeconds: 300 },
      now,
    );
    const tally = new Tally();
    const failures: string[] = [];
    const expectAnswer = async (
      route: (typeof guarded)[number],
      what: string,
      headers: Record<string, string>,
      status: number,
      error?: string,
    ) => {
      const url = route.url.replace(/:(\w+)/g, 'probe-$1');
      const response = await fetch(`${api.base}${url}`, {
        method: route.method,
        headers: {
          ...headers,
          ...(route.method === 'GET' || route.method === 'DELETE'
            ? {}
            : { 'content-type': 'application/json' }),
        },
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
      });
      const json = (await response.json().catch(() => ({}))) as Json;
      tally.count(response.status);
      if (response.status !== status || (error && json.error !== error)) {
        failures.push(`${route.method} ${route.url} ${what}: ${response.status} ${JSON.stringify(json)}`);
      }
    };

    for (const route of guarded) {
      const access = route.access!;
      await expectAnswer(route, 'no credentials', {}, 401, 'missing_credentials');
      await expectAnswer(route, 'expired token', bearer(expired), 401, 'token_expired');
      await expectAnswer(route, 'token of another secret', bearer(foreign), 401, 'invalid_token');
      await expectAnswer(route, 'unknown API key', bearer(`lfk_${'0'.repeat(40)}`), 401);
      if (!access.vendors) await expectAnswer(route, 'vendor API key', bearer(apiKey), 403, 'forbidden');
      const allowed = access.roles ?? [];
      for (const role of ROLES.filter((r) => !allowed.includes(r))) {
        await expectAnswer(route, `role ${role}`, bearer(token(role, ['*'])), 403, 'forbidden');
      }
      const scopes = access.scopes ?? [];
      if (allowed.length > 0 && scopes.length > 0) {
        for (const missing of scopes) {
          const held = scopes.filter((s) => s !== missing);
          await expectAnswer(
            route,
            `without scope ${missing}`,
            bearer(token(allowed[0]!, held)),
            403,
            'insufficient_scope',
          );
        }
      }
    }
    console.log(`${tally.summary(`credential checks on ${guarded.length} guarded routes`)}`);
    expect(failures).toEqual([]);
  });

  test('no phone number or email reaches the logs of the API and the intake stages', async () => {
    const { apiKey } = await api.vendor('pii-vendor');
    const secrets: string[] = [];
    const leads: Json[] = [];
    for (let i = 0; i < 20; i++) {
      const lead = sampleLeadBody() as Json;
      const line = String(1000 + i).slice(-4);
      const valid = i % 4 !== 3;
      // Bad ones are turned away by validate, with reasons that must not echo the values.
      const phone = valid ? `(415) 867-${line}` : `555-${line}`;
      const email = valid ? `Pii.Probe${i}@Example-Mail.com` : `pii.probe${i}@@broken`;
      lead.contact = { ...(lead.contact as Json), phone, email };
      leads.push(lead);
      const digits = phone.replace(/\D/g, '');
      secrets.push(email, email.toLowerCase(), `pii.probe${i}@`, digits);
      if (valid) secrets.push(`415-867-${line}`, `+1415867${line}`, `415.867.${line}`, `(415) 867-${line}`);
    }
    for (const lead of leads)
      expect((await post(api.base, '/v1/leads', lead, bearer(apiKey))).status).toBe(202);
    // A body the API itself rejects, with the phone in a field that fails, is not logged either.
    const rejected = await post(
      api.base,
      '/v1/leads',
      { ...leads[0], contact: { ...(leads[0]!.contact as Json), phone: { number: '4158671000' } } },
      bearer(apiKey),
    );
    expect(rejected.status).toBe(400);
    // Poison carrying the values: its dead-letter warning must not quote them.
    const { codec } = await codecFor(transport, platformCatalog(), [TOPIC.leadsRaw]);
    const poison = codec.encode(TOPIC.leadsRaw, 'poison', sampleRawLead(leads[0]));
    await transport.produce([
      { ...poison, value: Buffer.from(JSON.stringify(leads[0])) },
      { ...poison, value: poison.value!.subarray(0, poison.value!.length - 40) },
    ]);
    await pipeline!.waitIdle(120_000);
    // The stages saw them all: the scan covers their logs, not an idle pipeline's.
    const outcomes =
      (await transport.read(TOPIC.leadsValid)).length + (await transport.read(TOPIC.leadsRejected)).length;
    expect(outcomes).toBe(leads.length);

    expect(logLines.length).toBeGreaterThan(20);
    // Both sides were heard: the API's request logs and the stages' dead-letter warnings.
    const messages = new Set(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg));
    expect([...messages]).toEqual(
      expect.arrayContaining(['incoming request', 'request completed', 'record sent to dead letter topic']),
    );
    const hits = logLines.flatMap((line) =>
      secrets
        .filter((s) => line.toLowerCase().includes(s.toLowerCase()))
        .map((s) => `${s} in ${line.slice(0, 300)}`),
    );
    console.log(
      `PII scan: ${logLines.length} log lines at debug, ${secrets.length} values looked for, ${hits.length} found`,
    );
    expect(hits).toEqual([]);
  });

  test('secrets come only from the environment: none in the source, config never logged unredacted', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f && !f.startsWith('test/') && !/\.(test|d)\.ts$/.test(f) && fs.existsSync(f));
    expect(files.length).toBeGreaterThan(50);
    const secretAssignment =
      /(secret|token|password|passwd|api_?key|apikey|private_?key|credential)\w*['"]?\s*[:=]\s*['"`][A-Za-z0-9+/=_.-]{20,}['"`]/i;
    const keyMaterial = /-----BEGIN [A-Z ]*PRIVATE KEY-----|\bsk-[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b/;
    const configLogged =
      /\b(log|logger|console)\.(info|debug|warn|error|trace|fatal|log)\([^)]*\bconfig\b(?!\.)/;
    // Not secrets: a sample consent token in the test fixtures of the lead schema.
    const allowed = [/JORNAYA_TOKEN = '1A2B3C4D-/];
    const findings: string[] = [];
    for (const file of files) {
      for (const [i, line] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
        if (allowed.some((a) => a.test(line))) continue;
        if (secretAssignment.test(line) || keyMaterial.test(line))
          findings.push(`secret literal ${file}:${i + 1}`);
        if (configLogged.test(line) && !line.includes('describeConfig(config)')) {
          findings.push(`config logged without describeConfig ${file}:${i + 1}`);
        }
      }
    }
    console.log(`secret scan: ${files.length} source files, ${findings.length} findings`);
    expect(findings).toEqual([]);
  });
});
