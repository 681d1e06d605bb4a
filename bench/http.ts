import autocannon from 'autocannon';
import type { Logger } from 'pino';
import { generateLeads } from '../tools/generator/generate';
import { withBenchApi } from './api-harness';

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

/**
 * `leadflow bench http`: the API as `leadflow start` serves it, on a fresh log, and autocannon
 * (in worker threads of this process) POSTing single leads to /v1/leads with a vendor API key.
 * Each 202 means the lead is durable in leads.raw.
 */
export async function benchHttp(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const { transport, env, log } = options;
  return withBenchApi({ name: 'http', transport, env, log }, async (api) => {
    const [lead] = generateLeads({ count: 1, seed: 'bench-http', badShare: 0 }).leads;
    const result = await autocannon({
      url: `${api.origin}/v1/leads`,
      method: 'POST',
      headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
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
      peak_rss_mb: { bench: api.peakRssMb() },
    };
  });
}
