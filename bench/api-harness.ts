import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../config';
import { buildApp } from '../ingress/app';
import { createVendor } from '../ingress/auth/vendors';
import { openIngress } from '../ingress/server';
import { openKeyVault } from '../app/privacy/key-vault';
import { RecordCodec } from '../runtime/codec';
import { BuiltInSchemaRegistry } from '../runtime/registry';
import { platformCatalog, TOPIC } from '../topics/platform';
import { benchTransport, disposeBenchTransport, RssSampler } from './measure';

export interface BenchApiOptions {
  /** Names the run: its app id and topic prefix (`bench-<name>-…`) and its temporary directory. */
  name: string;
  transport: 'embedded' | 'kafka';
  env: Partial<Record<string, string>>;
  log: Logger;
  /**
   * Rate limits, idempotency and cap counts in Redis (REDIS_URL of `env`, which must be set);
   * otherwise in this process, whatever `env` says.
   */
  redis?: boolean;
  /** The economics file (YAML or JSON) the API reads: written to the run's directory. */
  economics?: string;
}

/** The API of a bench run, listening on 127.0.0.1, with one vendor and its key. */
export interface BenchApi {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** A vendor API key, without per-vendor rate limit to speak of. */
  apiKey: string;
  /** The run's temporary directory, removed at the end. */
  dir: string;
  /** Whether rate limits and cap counts are in Redis. */
  redis: boolean;
  /** Stops sampling this process's memory and returns its peak RSS, MB. */
  peakRssMb(): number;
}

/** Enough that no request of a benchmark meets the per-vendor rate limit. */
const UNLIMITED_PER_MINUTE = 1_000_000_000;
/** A throwaway signing secret, new each run: the benchmark makes no JWTs, but ingress needs one. */
const JWT_SECRET = randomBytes(32).toString('hex');

/**
 * Runs `measure` against the API as `leadflow start` serves it (ingress and the HTTP app, no
 * processors), on a fresh log: the topics applied, a vendor created on the vendors topic and
 * loaded by ingress. Everything is closed and the run's topics and directory removed afterwards.
 */
export async function withBenchApi<T>(
  options: BenchApiOptions,
  measure: (api: BenchApi) => Promise<T>,
): Promise<T> {
  const runId = `bench-${options.name}-${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `leadflow-bench-${options.name}-`));
  const economicsFile = path.join(dir, 'economics.yaml');
  if (options.economics !== undefined) fs.writeFileSync(economicsFile, options.economics);
  const config = loadConfig({
    LEADFLOW_PRIVACY_KEY: randomBytes(32).toString('base64'),
    ...options.env,
    ...(options.economics !== undefined ? { LEADFLOW_ECONOMICS_CONFIG: economicsFile } : {}),
    LEADFLOW_DATA_DIR: dir,
    LEADFLOW_APP_ID: runId,
  });
  if (options.redis && !config.REDIS_URL) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error('a bench run with Redis needs REDIS_URL');
  }
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
        REDIS_URL: options.redis ? config.REDIS_URL : undefined,
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
      return await measure({
        origin: `http://127.0.0.1:${port}`,
        apiKey,
        dir,
        redis: options.redis ?? false,
        peakRssMb: () => Math.round(rss.stop() / 1024 / 1024),
      });
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
