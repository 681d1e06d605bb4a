/**
 * Verifying a lead's consent certificate with its provider: the provider's client, retried with
 * backoff (runtime/retry.ts) on timeouts, 408, 429 and 5xx within the retry policy, behind one
 * circuit breaker per provider so that an outage costs each lead one refused call instead of a
 * full round of retries; then the pure verdict (verdict.ts).
 *
 * When the provider cannot answer, the outage policy decides:
 * - `hold`: the result is `{ status: 'hold' }`, no verdict; the caller parks the lead and asks
 *   again later (after `retryAfterMs` when the provider named a delay).
 * - `pass-flagged`: the verdict is `unavailable`, with the reason; the lead goes on, flagged.
 * Refused credentials are neither: ConsentConfigurationError is thrown, since every lead after
 * this one would fail the same way until someone fixes the settings.
 *
 * Logs carry the provider, the certificate id and the failure; never keys, phones or emails.
 */
import type { Logger } from 'pino';
import { isRetryable } from '../../runtime/errors';
import { retry, type RetryPolicy } from '../../runtime/retry';
import { CircuitBreaker, type BreakerOptions } from '../llm/breaker';
import { ConsentConfigurationError, ConsentProviderError } from './http';
import { auditJornaya, type JornayaSettings } from './jornaya';
import { consentMetrics } from './metrics';
import { claimTrustedForm, type TrustedFormSettings } from './trustedform';
import type { ConsentCheck, ConsentChecker, ValidLead } from '../../schemas/lead';
import {
  type ClaimedConsent,
  claimFromLead,
  type ConsentProvider,
  decideVerdict,
  type ProviderAnswer,
  type VerdictRules,
} from './verdict';

export type OutagePolicy = 'hold' | 'pass-flagged';

export interface ConsentVerifierOptions {
  /** Null: TrustedForm certificates are not checked (verdict `unavailable`, provider_not_configured). */
  trustedForm: TrustedFormSettings | null;
  jornaya: JornayaSettings | null;
  rules: VerdictRules;
  /** Per attempt. */
  timeoutMs: number;
  /** A Retry-After longer than `maxDelayMs` ends the attempts: the lead is better parked than waited on. */
  retry: RetryPolicy;
  outagePolicy: OutagePolicy;
  breaker: Omit<BreakerOptions, 'now'>;
  log?: Logger;
  now?: () => number;
}

export type { ConsentCheck };

export class ConsentVerifier implements ConsentChecker {
  private readonly now: () => number;
  private readonly breakers: Record<ConsentProvider, CircuitBreaker>;

  constructor(private readonly options: ConsentVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.breakers = {
      trustedform: new CircuitBreaker({ ...options.breaker, now: this.now }),
      jornaya: new CircuitBreaker({ ...options.breaker, now: this.now }),
    };
  }

  check(lead: ValidLead): Promise<ConsentCheck> {
    return this.verify(claimFromLead(lead));
  }

  async verify(claim: ClaimedConsent): Promise<ConsentCheck> {
    const provider = claim.certificateType;
    if (provider === 'other') {
      return this.checked(claim, {
        kind: 'unavailable',
        reason: 'provider_unsupported: only TrustedForm and Jornaya certificates can be verified',
      });
    }
    const lookup = this.lookup(provider);
    if (!lookup) {
      return this.checked(claim, {
        kind: 'unavailable',
        reason: `provider_not_configured: no ${provider} settings, so its certificates are not checked`,
      });
    }
    const breaker = this.breakers[provider];
    if (!breaker.tryAcquire()) {
      consentMetrics.circuitOpen.set({ provider }, 1);
      return this.outage(
        claim,
        provider,
        `circuit_open: ${provider} failed repeatedly; calls are paused`,
        null,
      );
    }
    const started = this.now();
    const { maxDelayMs } = this.options.retry;
    try {
      const answer = await retry(() => lookup(claim), {
        ...this.options.retry,
        isRetryable: (error) =>
          isRetryable(error) &&
          !(error instanceof ConsentProviderError && (error.retryAfterMs ?? 0) > maxDelayMs),
        onRetry: ({ error, attempt, delayMs }) =>
          this.options.log?.warn(
            { provider, certificateId: claim.certificateId, attempt, delayMs, err: (error as Error).message },
            'consent provider call failed; retrying',
          ),
      });
      breaker.recordSuccess();
      consentMetrics.circuitOpen.set({ provider }, 0);
      return this.checked(claim, answer);
    } catch (error) {
      if (!(error instanceof ConsentProviderError)) {
        // It answered: bad credentials or a bug of ours, not an outage.
        breaker.recordSuccess();
        if (error instanceof ConsentConfigurationError) {
          this.options.log?.error({ provider, status: error.statusCode }, error.message);
        }
        throw error;
      }
      breaker.recordFailure();
      if (breaker.state !== 'closed') consentMetrics.circuitOpen.set({ provider }, 1);
      this.options.log?.warn(
        {
          provider,
          certificateId: claim.certificateId,
          err: error.message,
          policy: this.options.outagePolicy,
        },
        'consent provider unavailable',
      );
      return this.outage(claim, provider, `provider_unavailable: ${error.message}`, error.retryAfterMs);
    } finally {
      consentMetrics.latency.observe({ provider }, (this.now() - started) / 1000);
    }
  }

  private lookup(provider: ConsentProvider): ((claim: ClaimedConsent) => Promise<ProviderAnswer>) | null {
    const { trustedForm, jornaya, timeoutMs } = this.options;
    if (provider === 'trustedform') {
      return trustedForm && ((claim) => claimTrustedForm(trustedForm, claim, timeoutMs));
    }
    return jornaya && ((claim) => auditJornaya(jornaya, claim, timeoutMs, this.now()));
  }

  private outage(
    claim: ClaimedConsent,
    provider: ConsentProvider,
    reason: string,
    retryAfterMs: number | null,
  ): ConsentCheck {
    if (this.options.outagePolicy === 'pass-flagged')
      return this.checked(claim, { kind: 'unavailable', reason });
    consentMetrics.checks.inc({ provider, result: 'hold' });
    return { status: 'hold', provider, certificateId: claim.certificateId, reason, retryAfterMs };
  }

  private checked(claim: ClaimedConsent, answer: ProviderAnswer): ConsentCheck {
    const verification = decideVerdict(claim, answer, this.options.rules, this.now());
    consentMetrics.checks.inc({ provider: verification.provider, result: verification.verdict });
    return { status: 'checked', verification };
  }
}
