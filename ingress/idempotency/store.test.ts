import { decide, MemoryIdempotencyStore } from './store';

const response = { statusCode: 202, contentType: 'application/json', body: '{"lead_id":"l1"}' };

test('the stored entry decides: proceed, replay, wait, or refuse a different request', () => {
  expect(decide(undefined, 'f1')).toEqual({ kind: 'proceed' });
  expect(decide({ state: 'pending', fingerprint: 'f1', owner: 'o' }, 'f1')).toEqual({ kind: 'in_progress' });
  expect(decide({ state: 'done', fingerprint: 'f1', response }, 'f1')).toEqual({ kind: 'replay', response });
  expect(decide({ state: 'done', fingerprint: 'f1', response }, 'f2')).toEqual({ kind: 'mismatch' });
});

test('the memory store lets one request through per key and only its owner releases it', async () => {
  const store = new MemoryIdempotencyStore();
  const pending = { state: 'pending' as const, fingerprint: 'f1', owner: 'o1' };
  expect(await store.begin('k', pending, 1000)).toBeUndefined();
  expect(await store.begin('k', { ...pending, owner: 'o2' }, 1000)).toEqual(pending);
  await store.abandon('k', 'o2');
  expect(await store.begin('k', { ...pending, owner: 'o3' }, 1000)).toEqual(pending);
  await store.abandon('k', 'o1');
  expect(await store.begin('k', { ...pending, owner: 'o4' }, 1000)).toBeUndefined();
  await store.complete('k', 'f1', response, 1000);
  expect(await store.begin('k', pending, 1000)).toEqual({ state: 'done', fingerprint: 'f1', response });
});

test('a lock expires, so a request whose process died does not block its key forever', async () => {
  const store = new MemoryIdempotencyStore();
  await store.begin('k', { state: 'pending', fingerprint: 'f', owner: 'o1' }, 20);
  await new Promise((resolve) => setTimeout(resolve, 40));
  expect(await store.begin('k', { state: 'pending', fingerprint: 'f', owner: 'o2' }, 20)).toBeUndefined();
});
