import { KafkaJSProtocolError } from 'kafkajs';
import { retryConcurrentTransactions } from './concurrent-transactions';

/** The error kafkajs throws for a broker's error code, as its protocol layer builds it. */
const brokerError = (type: string, code: number) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code, retriable: true }));
const concurrentTransactions = () => brokerError('CONCURRENT_TRANSACTIONS', 51);
const invalidProducerEpoch = () => brokerError('INVALID_PRODUCER_EPOCH', 47);

/** A request that fails with `error()` its first `failures` times, counting its calls. */
function request(error: () => Error, failures = Infinity) {
  const counter = {
    calls: 0,
    send: async () => {
      counter.calls++;
      if (counter.calls <= failures) throw error();
    },
  };
  return counter;
}

test('a request the coordinator answers with CONCURRENT_TRANSACTIONS is sent again until it goes through', async () => {
  const busyThrice = request(concurrentTransactions, 3);
  await retryConcurrentTransactions(busyThrice.send);
  expect(busyThrice.calls).toBe(4);
});

test('any other error, or a coordinator that stays busy, fails the commit', async () => {
  const fenced = request(invalidProducerEpoch);
  await expect(retryConcurrentTransactions(fenced.send)).rejects.toMatchObject({
    type: 'INVALID_PRODUCER_EPOCH',
  });
  expect(fenced.calls).toBe(1);

  const alwaysBusy = request(concurrentTransactions);
  await expect(retryConcurrentTransactions(alwaysBusy.send)).rejects.toMatchObject({
    type: 'CONCURRENT_TRANSACTIONS',
  });
  expect(alwaysBusy.calls).toBe(10);
});
