import { rejectLead } from '../common/decisions';
import { RetryableError } from '../../runtime/errors';
import { defineProcessor } from '../../runtime/processor';
import type { ConsentChecker, ConsentVerification, ValidLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { rejectedValidLead } from '../validate/rules';
import { reason } from '../validate/reasons';
import { enrichLead } from './enrich';

export interface EnrichSettings {
  /** Consent certificates checked with their providers; null: only their format is (validate). */
  consent: ConsentChecker | null;
  /** The retry rounds of a held lead; CONSENT_HOLD_ROUNDS_MS unless set. */
  holdRoundsMs?: readonly number[];
}

/**
 * While a certificate provider is out and the outage policy is `hold`, the lead waits in the
 * retry topic for these rounds (the leads behind it go on), then goes to the dead letter topic,
 * from where a replay brings it back once the provider answers again.
 */
export const CONSENT_HOLD_ROUNDS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000] as const;

/** A certificate the provider refused: the consent cannot be proven, so the lead is not sold. */
const REFUSED_VERDICTS = new Set<ConsentVerification['verdict']>(['mismatch', 'expired', 'not_found']);

/**
 * enrich: geography, time zone and contact window from the offline ZIP data, age, normalised
 * names and addresses, and a data-quality score; lookup misses are warnings on the lead. With a
 * certificate provider configured, the lead's consent certificate is claimed and checked first:
 * a refused one rejects the lead (consent_unverified), an answer the provider could not give is
 * held or passes flagged (consent_unchecked), as the outage policy says. A replay checks again:
 * the provider's answer is its own, not the lead's.
 */
export const enrichProcessor = (settings: EnrichSettings) =>
  defineProcessor<ValidLead>({
    name: 'enrich',
    inputs: [TOPIC.leadsValid],
    outputs: settings.consent
      ? [TOPIC.leadsEnriched, TOPIC.leadsRejected, TOPIC.leadDecisions]
      : [TOPIC.leadsEnriched],
    ...(settings.consent ? { retryLaterMs: settings.holdRoundsMs ?? CONSENT_HOLD_ROUNDS_MS } : {}),
    async process(record, ctx) {
      const valid = record.value;
      const consentVerification = settings.consent ? await checkedConsent(settings.consent, valid) : null;
      if (consentVerification && REFUSED_VERDICTS.has(consentVerification.verdict)) {
        const refused = reason(
          'consent_unverified',
          'consent.certificateId',
          `the ${consentVerification.provider} certificate is ${consentVerification.verdict.replace('_', ' ')}: ${consentVerification.reasons.join('; ')}`,
        );
        rejectLead(ctx, rejectedValidLead(valid, [refused], { now: ctx.now(), stage: 'enrich' }));
        return;
      }
      ctx.emit(TOPIC.leadsEnriched, record.key, enrichLead(valid, ctx.now(), { consentVerification }));
    },
  });

async function checkedConsent(checker: ConsentChecker, valid: ValidLead): Promise<ConsentVerification> {
  const check = await checker.check(valid);
  if (check.status === 'checked') return check.verification;
  throw new RetryableError(
    `consent provider ${check.provider} could not check the certificate: ${check.reason}`,
    {
      retryAfterMs: check.retryAfterMs,
    },
  );
}
