import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { isOutage, LeadflowError, PermanentError, RetryableError } from './errors';

describe('isOutage', () => {
  test('a service unreachable or late, however deep the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(isOutage(refused)).toBe(true);
    expect(isOutage(new Error('could not start', { cause: new Error('wrapped', { cause: refused }) }))).toBe(
      true,
    );
    expect(
      isOutage(
        new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('gone'), {
          retryCount: 5,
          retryTime: 1000,
        }),
      ),
    ).toBe(true);
    // As kafkajs' retrier throws it (its types leave the cause out).
    const lost = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    expect(isOutage(Object.assign(new KafkaJSNonRetriableError(lost), { cause: lost }))).toBe(true);
    expect(isOutage(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(
      true,
    );
    expect(isOutage(Object.assign(new Error('no routing servers'), { code: 'ServiceUnavailable' }))).toBe(
      true,
    );
    expect(isOutage(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(true);
    expect(isOutage(new RetryableError('registry answered 503'))).toBe(true);
  });

  test('not a refusal, a bad setting or a bug', () => {
    expect(isOutage(new Error('the database schema was migrated by a newer leadflow'))).toBe(false);
    expect(isOutage(new PermanentError('value too long'))).toBe(false);
    expect(isOutage(new LeadflowError('registry answered 409'))).toBe(false);
    expect(isOutage(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe(
      false,
    );
    expect(isOutage(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
  });
});
