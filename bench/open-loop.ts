/**
 * An open-loop load generator: requests leave on a fixed schedule (evenly spaced at the rate),
 * whether or not earlier ones were answered, and each latency runs from when its request was due,
 * not from when a free connection sent it. So a server that stalls is charged for every request
 * that waited behind the stall (no coordinated omission), and the rate is the rate asked for, not
 * bursts of it: autocannon's fixed rate fires each connection's share of a second at once.
 * It runs in a worker thread, so the server under test keeps the main thread.
 */
import { Worker } from 'node:worker_threads';

export interface OpenLoopOptions {
  url: string;
  headers: Record<string, string>;
  /** Request bodies, sent in turn. */
  bodies: string[];
  /** Requests per second. */
  rate: number;
  durationSeconds: number;
  /** Seconds of load at the same rate before the measured run, not counted. */
  warmupSeconds: number;
  /** Keep-alive connections; a request due while all are busy waits for one. */
  connections: number;
}

export interface OpenLoopResult {
  /** Latencies of the measured requests, ms from when each was due, sorted. */
  latenciesMs: number[];
  non2xx: number;
  errors: number;
  /** From the first measured request's due time to the last answer: the rate achieved. */
  elapsedMs: number;
}

// Plain CommonJS: evaluated in the worker as it is, under tsx and from dist alike.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, headers, bodies, rate, durationSeconds, warmupSeconds, connections } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const interval = 1000 / rate;
const warmup = Math.round(rate * warmupSeconds);
const total = warmup + Math.round(rate * durationSeconds);
const start = performance.now() + 20;
const latencies = [];
let non2xx = 0, errors = 0, next = 0, open = 0;
const settle = (measured, due, ok) => {
  if (measured) {
    latencies.push(performance.now() - due);
    if (ok === false) non2xx++;
    if (ok === null) errors++;
  }
  open--;
  if (next === total && open === 0) {
    agent.destroy();
    const elapsedMs = performance.now() - (start + warmup * interval);
    parentPort.postMessage({ latencies, non2xx, errors, elapsedMs });
  }
};
const send = (i, due) => {
  const body = bodies[i % bodies.length];
  const measured = i >= warmup;
  open++;
  const request = http.request(
    { host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', agent,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
    (response) => {
      response.resume();
      response.on('end', () => settle(measured, due, response.statusCode >= 200 && response.statusCode < 300));
    },
  );
  request.on('error', () => settle(measured, due, null));
  request.end(body);
};
const tick = () => {
  const now = performance.now();
  while (next < total && start + next * interval <= now) {
    send(next, start + next * interval);
    next++;
  }
  if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
};
setTimeout(tick, 20);
`;

export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: options });
    worker.once('error', reject);
    worker.once(
      'message',
      (result: { latencies: number[]; non2xx: number; errors: number; elapsedMs: number }) => {
        void worker.terminate();
        resolve({
          latenciesMs: result.latencies.sort((a, b) => a - b),
          non2xx: result.non2xx,
          errors: result.errors,
          elapsedMs: result.elapsedMs,
        });
      },
    );
  });
}

/** The q-quantile (0-1) of sorted values, to 0.1 ms. */
export function quantileMs(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}
