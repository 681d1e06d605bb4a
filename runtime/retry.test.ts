import { KafkaJSProtocolError } from 'kafkajs';
import { isRetryable, LeadflowError, PermanentError, RetryableError } from './errors';
import { Backoff, backoffDelay, retry } from './retry';

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

/** A call that fails with `error()` its first `failures` times. */
function flaky(error: () => unknown, failures = Infinity) {
  const state = {
    calls: 0,
    call: async () => {
      state.calls++;
      if (state.calls <= failures) throw error();
      return `ok after ${state.calls}`;
    },
  };
  return state;
}

test('a retryable failure is tried again until the call goes through', async () => {
  const twice = flaky(() => new RetryableError('down'), 2);
  await expect(retry(twice.call, fast)).resolves.toBe('ok after 3');
});

test('the last error comes out once the attempts are used up', async () => {
  const always = flaky(() => new RetryableError('still down'));
  await expect(retry(always.call, fast)).rejects.toThrow('still down');
  expect(always.calls).toBe(4);
});

test('an error not worth retrying ends it at once', async () => {
  const refused = flaky(() => new PermanentError('constraint'));
  await expect(retry(refused.call, fast)).rejects.toBeInstanceOf(PermanentError);
  expect(refused.calls).toBe(1);
  const plain = flaky(() => new Error('a bug'));
  await expect(retry(plain.call, fast)).rejects.toThrow('a bug');
  expect(plain.calls).toBe(1);
});

test('the caller may judge errors itself, and hears of every retry', async () => {
  const busy = flaky(() => Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }), 2);
  const heard: [number, number][] = [];
  await retry(busy.call, {
    ...fast,
    isRetryable: (error) => (error as { code?: string }).code === 'SQLITE_BUSY',
    onRetry: ({ attempt, delayMs }) => void heard.push([attempt, delayMs]),
  });
  expect(heard.map(([attempt]) => attempt)).toEqual([1, 2]);
  for (const [, delayMs] of heard) expect(delayMs).toBeLessThanOrEqual(fast.maxDelayMs);
});

test('a wait the other side asked for is kept, up to the longest wait', async () => {
  const delays: number[] = [];
  const throttled = flaky(() => new LeadflowError('429', { retryable: true, retryAfterMs: 60_000 }), 1);
  await retry(throttled.call, { ...fast, onRetry: ({ delayMs }) => void delays.push(delayMs) });
  expect(delays).toEqual([fast.maxDelayMs]);
});

test('no attempt starts after the deadline', async () => {
  const always = flaky(() => new RetryableError('down'));
  await expect(
    retry(always.call, { attempts: Infinity, baseDelayMs: 20, maxDelayMs: 20, jitter: 0, deadlineMs: 50 }),
  ).rejects.toThrow('down');
  expect(always.calls).toBeGreaterThanOrEqual(2);
  expect(always.calls).toBeLessThanOrEqual(4);
});

test('an abort ends the wait and the retrying', async () => {
  const controller = new AbortController();
  const always = flaky(() => new RetryableError('down'));
  const retrying = retry(always.call, {
    attempts: Infinity,
    baseDelayMs: 10_000,
    maxDelayMs: 10_000,
    signal: controller.signal,
  });
  controller.abort(new Error('stopping'));
  await expect(retrying).rejects.toThrow();
  expect(always.calls).toBe(1);
});

test('waits double up to the cap, each shortened by at most the jitter', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };
  expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0))).toEqual([100, 200, 400, 800, 1000]);
  expect(backoffDelay(policy, 3, () => 1)).toBe(320);
  const backoff = new Backoff({ ...policy, jitter: 0 });
  expect([backoff.next(), backoff.next()]).toEqual([100, 200]);
  backoff.reset();
  expect(backoff.next()).toBe(100);
});

test('kafkajs errors are judged by their own retriable flag', () => {
  const protocol = (retriable: boolean) =>
    new KafkaJSProtocolError(Object.assign(new Error('x'), { type: 'X', code: 1, retriable }));
  expect(isRetryable(protocol(true))).toBe(true);
  expect(isRetryable(protocol(false))).toBe(false);
  expect(isRetryable(new RetryableError('x'))).toBe(true);
  expect(isRetryable(undefined)).toBe(false);
});
