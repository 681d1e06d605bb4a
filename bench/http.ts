import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Logger } from 'pino';
import { loadConfig } from '../config';
import { generateLeads } from '../tools/generator/generate';
import { buildApp } from '../ingress/app';
import { createVendor } from '../ingress/auth/vendors';
import { openIngress } from '../ingress/server';
import { openKeyVault } from '../app/privacy/key-vault';
import { RecordCodec } from '../runtime/codec';
import { BuiltInSchemaRegistry } from '../runtime/registry';
import { platformCatalog, TOPIC } from '../topics/platform';
import { benchTransport, disposeBenchTransport, RssSampler } from './measure';

export interface HttpBenchOptions {
  transport: 'embedded' | 'kafka';
  connections: number;
  durationSeconds: number;
  /** Load-generator threads; the server keeps the main thread to itself. */
  workers: number;
  env: Partial<Record<string, string>>;
  log: Logger;
}

export interface HttpBenchResult {
  transport: string;
  connections: number;
  duration_s: number;
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Answers other than 202, and requests that got no answer. */
  non_2xx: number;
  errors: number;
  peak_rss_mb: Record<string, number>;
}

/** Enough that no request of a benchmark meets the per-vendor rate limit. */
const UNLIMITED_PER_MINUTE = 1_000_000_000;
/** A throwaway signing secret, new each run: the benchmark makes no JWTs, but ingress needs one. */
const JWT_SECRET = randomBytes(32).toString('hex');

/**
 * `leadflow bench http`: the API as `leadflow start` serves it, on a fresh log, and autocannon
 * (in worker threads of this process) POSTing single leads to /v1/leads with a vendor API key.
 * Each 202 means the lead is durable in leads.raw.
 */
export async function benchHttp(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const runId = `bench-http-${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-http-'));
  const config = loadConfig({
    LEADFLOW_PRIVACY_KEY: randomBytes(32).toString('base64'),
    ...options.env,
    LEADFLOW_DATA_DIR: dir,
    LEADFLOW_APP_ID: runId,
  });
  const transport = benchTransport({
    transport: options.transport,
    runId,
    dir,
    brokers: config.KAFKA_BROKERS,
    log: options.log,
  });
  const rss = new RssSampler();
  try {
    const registry = new BuiltInSchemaRegistry(transport.schemaLog());
    const catalog = platformCatalog();
    await transport.applyTopics(catalog.all());
    const vault = await openKeyVault(config, transport, options.log);
    const ingress = await openIngress({
      config: {
        ...config,
        REDIS_URL: undefined,
        LEADFLOW_RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
      },
      transport,
      registry,
      log: options.log,
      jwtSecret: JWT_SECRET,
      vault,
      stages: [],
    });
    const app = await buildApp({
      transport,
      log: options.log,
      processors: () => [],
      api: ingress.api,
      readiness: ingress.readiness,
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const { vendor, apiKey } = createVendor({
        vendorId: 'bench-vendor',
        name: 'bench vendor',
        rateLimitPerMinute: UNLIMITED_PER_MINUTE,
        now: Date.now(),
      });
      const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix });
      await codec.prepare([TOPIC.vendors]);
      await transport.produce([codec.encode(TOPIC.vendors, vendor.vendorId, vendor)]);
      await until(() => ingress.api.vendors.get(vendor.vendorId) !== undefined, 30_000, 'the vendor');
      const [lead] = generateLeads({ count: 1, seed: 'bench-http', badShare: 0 }).leads;
      const result = await autocannon({
        url: `http://127.0.0.1:${port}/v1/leads`,
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(lead),
        connections: options.connections,
        duration: options.durationSeconds,
        workers: options.workers,
      });
      return {
        transport: options.transport,
        connections: options.connections,
        duration_s: options.durationSeconds,
        requests: result.requests.total,
        requests_per_s: Math.round(result.requests.average),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        max_ms: result.latency.max,
        non_2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        peak_rss_mb: { bench: Math.round(rss.stop() / 1024 / 1024) },
      };
    } finally {
      await app.close();
      await ingress.close();
      await vault.stop();
    }
  } finally {
    rss.stop();
    await disposeBenchTransport(transport, runId, dir);
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
