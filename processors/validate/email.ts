import { domainToASCII } from 'node:url';
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';
import { fail, ok, reason, type Reason, type RuleResult } from './reasons';

/**
 * Email rules: a practical syntax check (dot-atom local part, DNS host name with a real-looking
 * TLD; no quoted local parts, comments or IP literals, which no consumer lead has), disposable
 * domains from the disposable-email-domains list (CC0, via disposable-email-domains-js), and
 * lower-cased storage. Gmail's dot and +tag equivalence is applied only to the dedupe identity.
 */

export interface NormalisedEmail {
  /** Lower-cased. */
  email: string;
  /** ASCII (punycode) domain. */
  domain: string;
}

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

const ROLE_ACCOUNTS = new Set([
  'abuse',
  'admin',
  'billing',
  'contact',
  'help',
  'hello',
  'hostmaster',
  'info',
  'marketing',
  'no-reply',
  'noreply',
  'office',
  'postmaster',
  'sales',
  'support',
  'team',
  'webmaster',
]);

/** Common misspellings of big providers' domains. */
const DOMAIN_TYPOS: Record<string, string> = {
  'gmial.com': 'gmail.com',
  'gmai.com': 'gmail.com',
  'gmal.com': 'gmail.com',
  'gnail.com': 'gmail.com',
  'gmaill.com': 'gmail.com',
  'gmail.co': 'gmail.com',
  'gmail.con': 'gmail.com',
  'gmail.cm': 'gmail.com',
  'yahooo.com': 'yahoo.com',
  'yaho.com': 'yahoo.com',
  'yahoo.co': 'yahoo.com',
  'yahoo.con': 'yahoo.com',
  'hotmial.com': 'hotmail.com',
  'hotmal.com': 'hotmail.com',
  'hotmail.co': 'hotmail.com',
  'hotmail.con': 'hotmail.com',
  'outlok.com': 'outlook.com',
  'outlook.co': 'outlook.com',
  'aol.co': 'aol.com',
  'iclod.com': 'icloud.com',
  'icloud.co': 'icloud.com',
};

/**
 * Syntax only: returns the lower-cased email and ASCII domain, or what is wrong with it, without
 * its parts (the reason is logged and shown in dashboards).
 */
export function parseEmail(input: string): NormalisedEmail | { error: string } {
  const email = input.trim().toLowerCase();
  if (email.length > 254) return { error: 'is longer than 254 characters' };
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return { error: 'needs a local part, an @ and a domain' };
  const local = email.slice(0, at);
  const rawDomain = email.slice(at + 1);
  if (local.length > 64) return { error: 'has a local part longer than 64 characters' };
  if (!LOCAL_PART.test(local)) return { error: 'has an invalid local part' };
  const domain = /^[\x21-\x7e]*$/.test(rawDomain) ? rawDomain : domainToASCII(rawDomain);
  if (!domain || domain.length > 253) return { error: 'has an invalid domain' };
  const labels = domain.split('.');
  if (
    labels.length < 2 ||
    !labels.every((label) => LABEL.test(label)) ||
    !TLD.test(labels[labels.length - 1]!)
  ) {
    return { error: 'has an invalid domain' };
  }
  return { email: `${local}@${domain}`, domain };
}

let disposable: Set<string> | undefined;

/** True for a disposable domain or any subdomain of one. */
export function isDisposableDomain(domain: string): boolean {
  // The package's own isDisposableEmailDomain rebuilds its Set on every call; build it once.
  disposable ??= disposableEmailBlocklistSet();
  const labels = domain.toLowerCase().split('.');
  for (let i = 0; i < labels.length - 1; i += 1) {
    if (disposable.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}

export function checkEmail(input: string, field = 'contact.email'): RuleResult<NormalisedEmail> {
  const parsed = parseEmail(input);
  if ('error' in parsed) return fail([reason('email_invalid', field, `${field} ${parsed.error}`)]);
  if (isDisposableDomain(parsed.domain)) {
    return fail([reason('email_disposable', field, `${parsed.domain} is a disposable email domain`)]);
  }
  const warnings: Reason[] = [];
  const local = parsed.email.slice(0, parsed.email.lastIndexOf('@'));
  if (ROLE_ACCOUNTS.has(local))
    warnings.push(reason('email_role_account', field, `${local}@ is a role mailbox`));
  const suggestion = Object.hasOwn(DOMAIN_TYPOS, parsed.domain) ? DOMAIN_TYPOS[parsed.domain] : undefined;
  if (suggestion) {
    warnings.push(reason('email_domain_typo', field, `${parsed.domain} looks like a typo of ${suggestion}`));
  }
  return ok(parsed, warnings);
}

/** Providers where "+tag" addresses deliver to the same mailbox. */
const PLUS_ADDRESSING = new Set([
  'gmail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'fastmail.com',
  'protonmail.com',
  'proton.me',
  'pm.me',
]);

/**
 * The identity of an email for duplicate detection and the do-not-contact list (never stored as
 * the lead's email): lower-cased; googlemail.com is gmail.com; Gmail ignores dots in the local
 * part; "+tag" is dropped where the provider delivers tags to the same mailbox. Null when the
 * email is not syntactically valid.
 */
export function emailIdentity(input: string): string | null {
  const parsed = parseEmail(input);
  if ('error' in parsed) return null;
  let domain = parsed.domain;
  let local = parsed.email.slice(0, parsed.email.lastIndexOf('@'));
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (PLUS_ADDRESSING.has(domain)) {
    const plus = local.indexOf('+');
    if (plus > 0) local = local.slice(0, plus);
  }
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return local ? `${local}@${domain}` : null;
}

export type { Reason };
