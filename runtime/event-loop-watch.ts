import type { Logger } from 'pino';
import { engineMetrics } from './metrics';

/**
 * Warns when the event loop was held: a long synchronous task, or a machine that gave the process
 * no CPU. While it is held nothing else runs, so Kafka consumers miss their heartbeats (held past
 * the session timeout, the broker expels them and their partitions move), commits wait and HTTP
 * requests go unanswered. The warning says how long, so a log shows it when a member was expelled.
 */
export function watchEventLoop(
  log: Logger,
  { thresholdMs = 1000, intervalMs = 250 }: { thresholdMs?: number; intervalMs?: number } = {},
): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const heldMs = now - last - intervalMs;
    last = now;
    if (heldMs < thresholdMs) return;
    engineMetrics.eventLoopHeld.inc();
    log.warn({ heldMs: Math.round(heldMs) }, 'event loop held: heartbeats, commits and requests waited');
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
