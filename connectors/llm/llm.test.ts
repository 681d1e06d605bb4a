/**
 * The LLM path against an OpenAI-compatible server started here on loopback (the only stand-in
 * in the suite: no LLM runs on the test machines). Every fallback is exercised: garbage JSON,
 * answers without the tool call, wrong fields, 429s, 500s, timeouts and the circuit breaker.
 */
import pino from 'pino';
import { registry } from '../../runtime/metrics';
import { enrichedSample } from '../../processors/score/sample';
import { GOOD_ANSWER, startFakeOpenAi, type FakeOpenAi } from '../../test/support/fake-openai';
import { serviceGate } from '../../test/support/services';
import { CircuitBreaker } from './breaker';
import { contentKey, MemoryCache, RedisCache } from './cache';
import { LlmClient } from './client';
import { LlmEnricher } from './enricher';
import type { LocalView } from '../../schemas/lead-insights';

const local: LocalView = {
  line: 'auto',
  intent: 'renewal',
  urgency: 'soon',
  score: 71,
  tier: 'B',
  reasons: [],
};
const lead = enrichedSample();
let server: FakeOpenAi;
let clock: number;

function enricher(options: { threshold?: number; cache?: MemoryCache } = {}) {
  return new LlmEnricher({
    client: new LlmClient({
      baseUrl: server.baseUrl,
      apiKey: 'test-key',
      model: 'test-model',
      embeddingModel: 'test-embedding',
      timeoutMs: 300,
      budgetMs: 1500,
      maxRetries: 2,
    }),
    cache: options.cache ?? new MemoryCache(),
    breaker: new CircuitBreaker({
      failureThreshold: options.threshold ?? 100,
      cooldownMs: 10_000,
      now: () => clock,
    }),
    price: { input: 1, output: 2 },
    log: pino({ level: 'silent' }),
  });
}

const chatRequests = () => server.requests.filter((r) => r.path === '/v1/chat/completions').length;

beforeEach(async () => {
  server = await startFakeOpenAi();
  clock = 0;
});
afterEach(() => server.close());

describe('LLM insights', () => {
  test('a tool call becomes a used insight with tokens and cost; the prompt carries no contact details', async () => {
    const result = await enricher().enrich(lead, local);
    expect(result.answer).toEqual(GOOD_ANSWER);
    expect(result.insight).toMatchObject({
      used: true,
      cached: false,
      model: 'test-model',
      promptTokens: 420,
      completionTokens: 60,
      extracted: { currentInsurer: 'GEICO', policyExpiry: '2025-07-01', vehiclesMentioned: '1' },
      error: null,
    });
    expect(result.insight.costUsd).toBeCloseTo((420 * 1 + 60 * 2) / 1e6, 12);
    const request = server.requests[0]!.body;
    expect(request.tool_choice).toEqual({ type: 'function', function: { name: 'record_lead_insights' } });
    const prompt = JSON.stringify(request.messages);
    for (const pii of ['Jane', "O'Brien", 'obrien', '867', '5309', 'Main Street'])
      expect(prompt).not.toContain(pii);
    expect(prompt).toContain('Policy expires next month');
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/leadflow_llm_tokens_total\{model="test-model",kind="prompt"\} \d+/);
    expect(metrics).toMatch(/leadflow_llm_cost_usd_total\{model="test-model"\} [0-9.e-]+/);
  });

  test('the same lead again is answered from the cache, without a request', async () => {
    const cache = new MemoryCache();
    await enricher({ cache }).enrich(lead, local);
    const again = await enricher({ cache }).enrich(lead, local);
    expect(again.insight).toMatchObject({ used: true, cached: true, promptTokens: 0, costUsd: 0 });
    expect(chatRequests()).toBe(1);
  });

  test.each([
    ['garbage JSON in the tool call', { kind: 'garbage' as const }],
    ['an answer without the tool call', { kind: 'no_tool' as const }],
    [
      'a tool call with wrong fields',
      { kind: 'tool' as const, arguments: { ...GOOD_ANSWER, intent: 'buying', urgency: 3 } },
    ],
  ])('%s is an invalid answer: not retried, not cached, not used', async (_what, behaviour) => {
    server.fallback = behaviour;
    const cache = new MemoryCache();
    const result = await enricher({ cache }).enrich(lead, local);
    expect(result).toMatchObject({ answer: null, insight: { used: false, error: 'invalid_answer' } });
    expect(chatRequests()).toBe(1);
    server.fallback = { kind: 'tool', arguments: GOOD_ANSWER };
    expect((await enricher({ cache }).enrich(lead, local)).insight.cached).toBe(false);
  });

  test('429 and 500 are retried with backoff; an answer after a retry is used', async () => {
    server.queue.push({ kind: 'status', status: 429, retryAfterMs: 20 }, { kind: 'status', status: 500 });
    const result = await enricher().enrich(lead, local);
    expect(result.insight.used).toBe(true);
    expect(chatRequests()).toBe(3);
  });

  test('a 429 that does not stop falls back as rate_limited after the retries', async () => {
    server.fallback = { kind: 'status', status: 429, retryAfterMs: 10 };
    const result = await enricher().enrich(lead, local);
    expect(result.insight).toMatchObject({ used: false, error: 'rate_limited' });
    expect(chatRequests()).toBe(3);
  });

  test('an endpoint that does not answer in time falls back as timeout within the budget', async () => {
    server.fallback = { kind: 'hang', ms: 5000 };
    const started = Date.now();
    const result = await enricher().enrich(lead, local);
    expect(result.insight).toMatchObject({ used: false, error: 'timeout' });
    // budgetMs is 1500; allow for a slow, shared machine.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('an endpoint that is down falls back as unavailable', async () => {
    const url = server.baseUrl;
    await server.close();
    const result = await new LlmEnricher({
      client: new LlmClient({
        baseUrl: url,
        model: 'm',
        embeddingModel: 'e',
        timeoutMs: 300,
        budgetMs: 1500,
        maxRetries: 0,
      }),
      cache: new MemoryCache(),
      breaker: new CircuitBreaker({ failureThreshold: 5, cooldownMs: 1000 }),
      price: { input: 0, output: 0 },
      log: pino({ level: 'silent' }),
    }).enrich(lead, local);
    expect(result.insight).toMatchObject({ used: false, error: 'unavailable' });
    server = await startFakeOpenAi();
  });

  test('after repeated failures the circuit opens: no requests until the cool-down, then one trial', async () => {
    server.fallback = { kind: 'garbage' };
    const llm = enricher({ threshold: 2 });
    const leads = ['a', 'b', 'c', 'd'].map((id) => enrichedSample(() => undefined, `lead-${id}`));
    const different = (i: number): LocalView => ({ ...local, score: i });
    await llm.enrich(leads[0]!, different(0));
    await llm.enrich(leads[1]!, different(1));
    expect(chatRequests()).toBe(2);
    const refused = await llm.enrich(leads[2]!, different(2));
    expect(refused.insight).toMatchObject({ used: false, error: 'circuit_open' });
    expect(chatRequests()).toBe(2);

    clock += 10_000;
    server.fallback = { kind: 'tool', arguments: GOOD_ANSWER };
    expect((await llm.enrich(leads[3]!, different(3))).insight.used).toBe(true);
    expect(chatRequests()).toBe(3);
    expect((await llm.enrich(leads[2]!, different(2))).insight.used).toBe(true);
  });

  test('embeddings come back in input order', async () => {
    const client = new LlmClient({
      baseUrl: server.baseUrl,
      model: 'm',
      embeddingModel: 'test-embedding',
      timeoutMs: 1000,
      budgetMs: 2000,
      maxRetries: 0,
    });
    const { vectors, tokens } = await client.embed(['a', 'bbb']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(8);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(tokens).toBe(20);
  });
});

describe('circuit breaker', () => {
  test('closed -> open after the threshold -> half-open after the cool-down -> closed on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 100, now: () => now });
    for (let i = 0; i < 2; i += 1) breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordSuccess();
    for (let i = 0; i < 3; i += 1) breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    now = 100;
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false); // one trial at a time
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    now = 200;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
  });
});

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisGate = (() => {
  const url = new URL(redisUrl);
  return serviceGate('Redis', url.hostname, Number(url.port || 6379));
})();

(redisGate.run ? describe : describe.skip)('Redis answer cache', () => {
  beforeAll(() => {
    if (redisGate.reason) throw new Error(redisGate.reason);
  });

  test('stores and returns answers by content key, shared between clients', async () => {
    const prefix = `leadflow-test:${Date.now()}:`;
    const a = new RedisCache(redisUrl, { prefix, ttlSeconds: 60 });
    const b = new RedisCache(redisUrl, { prefix, ttlSeconds: 60 });
    const key = contentKey('model', 'prompt');
    expect(await a.get(key)).toBeUndefined();
    await a.set(key, '{"x":1}');
    expect(await b.get(key)).toBe('{"x":1}');
    await a.close();
    await b.close();
  });
});

test('a Redis cache that cannot connect is a miss, not an error', async () => {
  const cache = new RedisCache('redis://127.0.0.1:1', { timeoutMs: 200 });
  expect(await cache.get('k')).toBeUndefined();
  await expect(cache.set('k', 'v')).resolves.toBeUndefined();
  await cache.close();
});
