import { KafkaJSProtocolError } from 'kafkajs';
import { retryConcurrentTransactions } from './retry';

/** The error kafkajs throws for a broker's error code, as its protocol layer builds it. */
const brokerError = (type: string, code: number) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code, retriable: true }));
const CONCURRENT_TRANSACTIONS = () => brokerError('CONCURRENT_TRANSACTIONS', 51);
const INVALID_PRODUCER_EPOCH = () => brokerError('INVALID_PRODUCER_EPOCH', 47);

test('a request the coordinator answers with CONCURRENT_TRANSACTIONS is sent again until it goes through', async () => {
  let calls = 0;
  await retryConcurrentTransactions(async () => {
    calls++;
    if (calls < 4) throw CONCURRENT_TRANSACTIONS();
  });
  expect(calls).toBe(4);
});

test('any other error, or a coordinator that stays busy, fails the commit', async () => {
  let calls = 0;
  const fenced = retryConcurrentTransactions(async () => {
    calls++;
    throw INVALID_PRODUCER_EPOCH();
  });
  await expect(fenced).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
  expect(calls).toBe(1);

  let busyCalls = 0;
  const busy = retryConcurrentTransactions(async () => {
    busyCalls++;
    throw CONCURRENT_TRANSACTIONS();
  });
  await expect(busy).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
  expect(busyCalls).toBe(10);
});
