/** The consent connector's surface: the verifier, its settings, its result and its errors. */
export { ConsentConfigurationError, ConsentProviderError } from './http';
export type { JornayaSettings } from './jornaya';
export type { TrustedFormSettings } from './trustedform';
export {
  type ConsentCheck,
  ConsentVerifier,
  type ConsentVerifierOptions,
  type OutagePolicy,
} from './verifier';
export {
  type ClaimedConsent,
  claimFromLead,
  type ConsentProvider,
  type ConsentTextRule,
  type ConsentVerification,
  type ContactMatchRule,
  DEFAULT_VERDICT_RULES,
  decideVerdict,
  type Verdict,
  type VerdictRules,
} from './verdict';
