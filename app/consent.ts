import type { Config } from '../config';
import { ConsentVerifier, DEFAULT_VERDICT_RULES } from '../connectors/consent';
import type { Logger } from 'pino';

export type ConsentSettings = Pick<
  Config,
  | 'LEADFLOW_CONSENT_MAX_AGE_DAYS'
  | 'TRUSTEDFORM_API_URL'
  | 'TRUSTEDFORM_API_KEY'
  | 'JORNAYA_API_URL'
  | 'JORNAYA_ACCOUNT_CODE'
  | 'JORNAYA_AUDIT_KEY'
  | 'JORNAYA_PROVIDER_CODE'
  | 'LEADFLOW_CONSENT_OUTAGE_POLICY'
  | 'LEADFLOW_CONSENT_TEXT_RULE'
>;

/**
 * The consent verifier the configuration asks for: null when no provider has credentials, so
 * certificates are then checked by their format alone (validate). A certificate of a provider
 * without credentials, with the other configured, is `unavailable` and passes flagged.
 */
export function consentVerifierFrom(
  settings: Partial<ConsentSettings>,
  log?: Logger,
): ConsentVerifier | null {
  const trustedForm = settings.TRUSTEDFORM_API_KEY
    ? {
        baseUrl: settings.TRUSTEDFORM_API_URL ?? 'https://cert.trustedform.com',
        apiKey: settings.TRUSTEDFORM_API_KEY,
      }
    : null;
  const jornaya = settings.JORNAYA_ACCOUNT_CODE
    ? {
        baseUrl: settings.JORNAYA_API_URL ?? 'https://api.leadid.com',
        accountCode: settings.JORNAYA_ACCOUNT_CODE,
        audit:
          settings.JORNAYA_AUDIT_KEY && settings.JORNAYA_PROVIDER_CODE
            ? { auditKey: settings.JORNAYA_AUDIT_KEY, providerCode: settings.JORNAYA_PROVIDER_CODE }
            : null,
      }
    : null;
  if (!trustedForm && !jornaya) return null;
  return new ConsentVerifier({
    trustedForm,
    jornaya,
    rules: {
      ...DEFAULT_VERDICT_RULES,
      maxAgeSeconds: (settings.LEADFLOW_CONSENT_MAX_AGE_DAYS ?? 90) * 24 * 3600,
      consentTextRule: settings.LEADFLOW_CONSENT_TEXT_RULE ?? DEFAULT_VERDICT_RULES.consentTextRule,
    },
    timeoutMs: 5000,
    // In place, briefly: a longer outage parks the lead (CONSENT_HOLD_ROUNDS_MS) instead.
    retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 5000, jitter: 0.2 },
    outagePolicy: settings.LEADFLOW_CONSENT_OUTAGE_POLICY ?? 'hold',
    breaker: { failureThreshold: 5, cooldownMs: 30_000 },
    log,
  });
}
