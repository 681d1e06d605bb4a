import type { Writable } from 'node:stream';
import pino from 'pino';
import type { ApiLimits } from '../../ingress/api';
import { buildApp, type HttpTimeouts } from '../../ingress/app';
import { issueToken, type Role } from '../../ingress/auth/tokens';
import type { DashboardSource } from '../../ingress/dashboard/source';
import { createVendor } from '../../ingress/auth/vendors';
import { type Vendor } from '../../schemas/vendor-records';
import { type Ingress, openIngress } from '../../ingress/server';
import { RecordCodec } from '../../runtime/codec';
import type { Processor } from '../../runtime/processor';
import type { Transport } from '../../runtime/transport';
import type { SchemaRegistry } from '../../runtime/registry';
import type { Queryable } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { openTestVault, testBlind } from '../support/privacy';
import { loadDefaultModel } from '../../models/default-model';
import { enrichProcessor } from '../../processors/enrich/processor';
import type { EconomicsConfig } from '../../processors/ledger/economics';
import { matchProcessor } from '../../processors/match/processor';
import { DEFAULT_ROUTING_CONFIG } from '../../processors/match/routing-config';
import { scoreProcessor } from '../../processors/score/processor';
import { validateProcessor } from '../../processors/validate/processor';
import { emailScreenProcessor, phoneScreenProcessor } from '../../processors/validate/screen';
import { Pipeline } from '../../runtime/pipeline';
import { sampleLeadBody } from '../../schemas/lead-samples';
import type { KeyVault } from '../../runtime/privacy/vault';
import { eventually, testLog, type TransportHarness } from '../support/harness';

/** Response bodies, inspected loosely: the assertions say what they must hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestApi {
  base: string;
  ingress: Ingress;
  /** The API's data keys: a codec reading the leads it wrote needs them. */
  vault: KeyVault;
  /** Creates a vendor on the vendors topic and waits until this API knows it. */
  vendor(
    id: string,
    fields?: Partial<Pick<Vendor, 'rateLimitPerMinute'>>,
  ): Promise<{ vendor: Vendor; apiKey: string }>;
  /** Writes a vendor record as the CLI would (rotate, disable). */
  saveVendor(vendor: Vendor): Promise<void>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  appId: string;
  redisUrl?: string;
  /** The economics file (caps and schedules apply at ingress). */
  economicsConfig?: string;
  limits?: Partial<ApiLimits>;
  stages?: Processor<never>[];
  readModels?: Queryable;
  /** Where the API's logs go (default: nowhere). */
  logTo?: Writable;
  /** Level of those logs (default info). */
  logLevel?: pino.Level;
  /** Slow-client limits (default: the app's). */
  timeouts?: HttpTimeouts;
  /** Serves the dashboard from this source. */
  dashboard?: DashboardSource;
}

/** The API on a real transport, listening on a free port like `leadflow start` does. */
export async function startApi(
  transport: Transport,
  registry: SchemaRegistry,
  options: TestApiOptions,
): Promise<TestApi> {
  const log = options.logTo ? pino({ level: options.logLevel ?? 'info' }, options.logTo) : testLog;
  const limits: ApiLimits = {
    batchMaxLeads: 5,
    syncWaitMs: 5000,
    rateLimitPerMinute: 1000,
    uploadMaxBytes: 50 * 1024 * 1024,
    ...options.limits,
  };
  const vault = await openTestVault(transport);
  const ingress = await openIngress({
    config: {
      LEADFLOW_APP_ID: options.appId,
      REDIS_URL: options.redisUrl,
      LEADFLOW_BATCH_MAX_LEADS: limits.batchMaxLeads,
      LEADFLOW_SYNC_WAIT_MS: limits.syncWaitMs,
      LEADFLOW_ECONOMICS_CONFIG: options.economicsConfig,
      LEADFLOW_RATE_LIMIT_PER_MINUTE: limits.rateLimitPerMinute,
      LEADFLOW_UPLOAD_MAX_BYTES: limits.uploadMaxBytes,
    },
    transport,
    registry,
    log,
    jwtSecret: JWT_SECRET,
    vault,
    stages: options.stages ?? [],
    readModels: options.readModels,
  });
  const app = await buildApp({
    transport,
    log,
    processors: () => [],
    api: ingress.api,
    readiness: ingress.readiness,
    timeouts: options.timeouts,
    dashboard: options.dashboard,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const codec = new RecordCodec(platformCatalog(), registry, { subjectPrefix: transport.topicPrefix });
  await codec.prepare([TOPIC.vendors]);
  const saveVendor = (vendor: Vendor) =>
    transport.produce([codec.encode(TOPIC.vendors, vendor.vendorId, vendor)]);
  return {
    base: `http://127.0.0.1:${port}`,
    ingress,
    vault,
    saveVendor,
    async vendor(id, fields = {}) {
      const created = createVendor({
        vendorId: id,
        name: id,
        rateLimitPerMinute: fields.rateLimitPerMinute ?? null,
        now: Date.now(),
      });
      await saveVendor(created.vendor);
      await eventually(() => ingress.api.vendors.get(id) !== undefined, 30_000, `vendor ${id}`);
      return created;
    },
    async close() {
      await app.close();
      await ingress.close();
      await vault.stop();
    },
  };
}

export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

export function token(role: Role, scopes: string[], options: { ttlSeconds?: number; now?: number } = {}) {
  return issueToken(
    JWT_SECRET,
    { subject: `${role}-1`, role, scopes, ttlSeconds: options.ttlSeconds ?? 300 },
    options.now ?? Date.now(),
  );
}

export async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
}

export async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers });
  const text = await response.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // Not JSON (CSV, HTML): the text is there.
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A multipart upload of `content` as the field "file". */
export async function upload(
  base: string,
  fileName: string,
  content: string | Buffer,
  headers: Record<string, string>,
  query = '',
) {
  const form = new FormData();
  form.append('file', new Blob([content]), fileName);
  const response = await fetch(`${base}/v1/uploads${query}`, { method: 'POST', headers, body: form });
  return { status: response.status, json: (await response.json()) as Json };
}

/**
 * A lead validate accepts today and the screens do not take for a duplicate: consent given a
 * minute ago, a phone and an email of its own (`n` tells leads of one test apart).
 */
export function freshLead(n: number, change: (body: ReturnType<typeof sampleLeadBody>) => void = () => {}) {
  const body = sampleLeadBody();
  body.consent.timestamp = new Date(Date.now() - 60_000).toISOString();
  body.contact.phone = `(415) 555-${String(1000 + n).slice(-4)}`;
  body.contact.email = `fresh.${n}.${Date.now()}@example.com`;
  change(body);
  return body;
}

/**
 * The stages that decide about a lead, as `leadflow start` runs them: validate, the phone and
 * email screens, enrich (no consent provider), score, match priced by `economics`, then `extra`.
 */
export async function startDecidingStages(
  harness: TransportHarness,
  transport: Transport,
  registry: SchemaRegistry,
  economics: EconomicsConfig,
  extra: Processor<never>[] = [],
): Promise<Pipeline> {
  const screen = { duplicateWindowDays: 30, blind: testBlind };
  const processors = [
    validateProcessor({ consentMaxAgeDays: 90, blind: testBlind }),
    phoneScreenProcessor(screen),
    emailScreenProcessor(screen),
    enrichProcessor({ consent: null }),
    scoreProcessor({ defaultModel: loadDefaultModel() }),
    matchProcessor(DEFAULT_ROUTING_CONFIG, economics),
    ...extra,
  ] as Processor<never>[];
  await transport.applyTopics(platformCatalog().withProcessors(harness.prefix, processors).all());
  return Pipeline.start({
    appId: harness.prefix,
    transport,
    registry,
    catalog: platformCatalog(),
    processors,
    log: testLog,
    keys: await openTestVault(transport),
  });
}
