import type { ValidLead } from '../../schemas/lead';
import {
  type CertificateFacts,
  type ClaimedConsent,
  claimFromLead,
  decideVerdict,
  DEFAULT_VERDICT_RULES,
  normaliseConsentText,
  pageParts,
  type ProviderAnswer,
  type VerdictRules,
} from './verdict';

const NOW = Date.UTC(2025, 5, 1, 12);
const DAY = 24 * 3600 * 1000;
const TEXT =
  'By clicking Get Quotes, I agree that Acme Insurance may call and text me at the number above, including by autodialer. Consent is not a condition of purchase.';

const claim: ClaimedConsent = {
  certificateId: 'a'.repeat(40),
  certificateType: 'trustedform',
  text: TEXT,
  timestamp: NOW - 2 * DAY,
  pageUrl: 'https://quotes.example.com/auto',
  phone: '+15125550123',
  email: 'jane@example.com',
  reference: 'lead-1',
  vendor: 'vendor-1',
};

function facts(overrides: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    createdAt: NOW - 2 * DAY - 60_000,
    ageSeconds: null,
    expiresAt: NOW + 88 * DAY,
    pageUrl: 'https://quotes.example.com/auto?utm_source=x',
    consentTexts: [`Get Quotes ${TEXT} Privacy Policy`],
    emailMatch: true,
    phoneMatch: true,
    providerRefusals: [],
    ...overrides,
  };
}

function decide(
  answerFacts: CertificateFacts,
  rules: Partial<VerdictRules> = {},
  lead: Partial<ClaimedConsent> = {},
) {
  return decideVerdict(
    { ...claim, ...lead },
    { kind: 'found', facts: answerFacts },
    { ...DEFAULT_VERDICT_RULES, ...rules },
    NOW,
  );
}

const codes = (reasons: string[]) => reasons.map((reason) => reason.split(':')[0]);

describe('decideVerdict', () => {
  it('verifies a certificate that agrees with the lead on every count', () => {
    const result = decide(facts());
    expect(result).toEqual({
      provider: 'trustedform',
      certificateId: claim.certificateId,
      verdict: 'verified',
      reasons: [],
      checkedAt: NOW,
      ageSeconds: 2 * 24 * 3600 + 60,
      pageUrl: 'https://quotes.example.com/auto?utm_source=x',
    });
  });

  it('measures age from the creation time when there is one, else takes the provider figure', () => {
    expect(decide(facts({ createdAt: null, ageSeconds: 1234 })).ageSeconds).toBe(1234);
    expect(decide(facts({ createdAt: null, ageSeconds: null })).ageSeconds).toBeNull();
  });

  it('calls a certificate older than the maximum expired', () => {
    const result = decide(facts(), { maxAgeSeconds: 24 * 3600 });
    expect(result.verdict).toBe('expired');
    expect(result.reasons).toEqual([`certificate_too_old: ${2 * 24 * 3600 + 60} s old, at most 86400 s`]);
  });

  it('calls a certificate past the provider expiry expired', () => {
    const result = decide(facts({ expiresAt: NOW - 1 }));
    expect(result.verdict).toBe('expired');
    expect(codes(result.reasons)).toEqual(['certificate_expired']);
  });

  it('lets a mismatch outweigh the age, keeping both reasons', () => {
    const result = decide(facts({ pageUrl: 'https://other.example.net/' }), { maxAgeSeconds: 60 });
    expect(result.verdict).toBe('mismatch');
    expect(codes(result.reasons)).toEqual(['page_host_mismatch', 'certificate_too_old']);
  });

  describe('page URL', () => {
    it('ignores scheme, www, case, port, trailing slashes, query and fragment', () => {
      const result = decide(facts({ pageUrl: 'http://WWW.Quotes.Example.com:8080/Auto/#step2' }));
      expect(result.verdict).toBe('verified');
    });

    it('rejects another host, subdomains included', () => {
      const result = decide(facts({ pageUrl: 'https://example.com/auto' }));
      expect(result.verdict).toBe('mismatch');
      expect(result.reasons).toEqual([
        'page_host_mismatch: lead says quotes.example.com, certificate recorded example.com',
      ]);
    });

    it('rejects another path when the lead names one', () => {
      const result = decide(facts({ pageUrl: 'https://quotes.example.com/home' }));
      expect(result.reasons).toEqual(['page_path_mismatch: lead says /auto, certificate recorded /home']);
    });

    it('checks only the host when the lead names only the site', () => {
      const result = decide(
        facts({ pageUrl: 'https://quotes.example.com/any/page' }),
        {},
        {
          pageUrl: 'quotes.example.com',
        },
      );
      expect(result.verdict).toBe('verified');
    });

    it('skips the check when either side has no URL, and flags one that cannot be parsed', () => {
      expect(decide(facts({ pageUrl: null })).verdict).toBe('verified');
      expect(decide(facts(), {}, { pageUrl: null }).verdict).toBe('verified');
      expect(codes(decide(facts(), {}, { pageUrl: 'http://' }).reasons)).toEqual(['page_url_invalid']);
    });

    it('normalises into host and path', () => {
      expect(pageParts('www.example.com./a%20b/')).toEqual({ host: 'example.com', path: '/a b' });
      expect(pageParts('not a url at all')).toBeNull();
    });
  });

  describe('consent text', () => {
    it('accepts the claimed text within a recorded one despite case, whitespace and quotes', () => {
      const recorded = `  BY CLICKING “GET QUOTES” ,\n I agree that Acme Insurance may call and text me`;
      const result = decide(
        facts({ consentTexts: [recorded] }),
        {},
        {
          text: 'by clicking "Get Quotes", I agree that Acme Insurance may call and text me',
        },
      );
      expect(result.verdict).toBe('verified');
    });

    it('rejects a text that differs in the words that carry the consent', () => {
      const recorded = TEXT.replace('Acme Insurance', 'Acme Insurance and its partners');
      const result = decide(facts({ consentTexts: [recorded] }));
      expect(result.verdict).toBe('mismatch');
      expect(codes(result.reasons)).toEqual(['consent_text_mismatch']);
    });

    it('under the exact rule, accepts only a whole recorded text', () => {
      expect(decide(facts(), { consentTextRule: 'exact' }).verdict).toBe('mismatch');
      expect(
        decide(facts({ consentTexts: ['other', ` ${TEXT}`] }), { consentTextRule: 'exact' }).verdict,
      ).toBe('verified');
    });

    it('skips the check when the provider recorded no text', () => {
      expect(decide(facts({ consentTexts: [] })).verdict).toBe('verified');
    });

    it('normalises dashes and spaces before punctuation', () => {
      expect(normaliseConsentText('Opt\u2013in  now , please')).toBe('opt-in now, please');
    });
  });

  describe('contact fingerprints', () => {
    it('under the any rule, one matching identifier suffices', () => {
      expect(decide(facts({ emailMatch: false, phoneMatch: true })).verdict).toBe('verified');
      expect(decide(facts({ emailMatch: null, phoneMatch: true })).verdict).toBe('verified');
    });

    it('under the any rule, rejects when every reported identifier differs', () => {
      const result = decide(facts({ emailMatch: false, phoneMatch: false }));
      expect(result.verdict).toBe('mismatch');
      expect(codes(result.reasons)).toEqual(['email_mismatch', 'phone_mismatch']);
      expect(result.reasons.join(' ')).not.toContain('jane@example.com');
      expect(result.reasons.join(' ')).not.toContain('5550123');
    });

    it('under the all rule, rejects any differing identifier', () => {
      const result = decide(facts({ emailMatch: false, phoneMatch: true }), { contactMatchRule: 'all' });
      expect(codes(result.reasons)).toEqual(['email_mismatch']);
    });

    it('skips the check when the provider compared nothing', () => {
      expect(decide(facts({ emailMatch: null, phoneMatch: null })).verdict).toBe('verified');
    });
  });

  it('rejects a consent time far from the certificate creation', () => {
    const result = decide(facts({ createdAt: NOW - 10 * DAY }));
    expect(result.verdict).toBe('mismatch');
    expect(result.reasons[0]).toMatch(/^consent_time_mismatch: consent claimed at 2025-05-30T12:00:00.000Z/);
    expect(
      decide(facts({ createdAt: NOW - 10 * DAY }), { timestampToleranceSeconds: 9 * 24 * 3600 }).verdict,
    ).toBe('verified');
  });

  it("keeps the provider's own refusals as mismatches", () => {
    const result = decide(facts({ providerRefusals: ['consumer_opted_out: the consumer opted out'] }));
    expect(result.verdict).toBe('mismatch');
    expect(result.reasons).toEqual(['consumer_opted_out: the consumer opted out']);
  });

  it.each<[ProviderAnswer, string, string]>([
    [{ kind: 'not_found', detail: 'none' }, 'not_found', 'certificate_not_found: none'],
    [{ kind: 'expired', detail: 'gone' }, 'expired', 'certificate_expired: gone'],
    [
      { kind: 'unavailable', reason: 'provider_unavailable: down' },
      'unavailable',
      'provider_unavailable: down',
    ],
  ])('turns a %j answer into its verdict', (answer, verdict, reason) => {
    const result = decideVerdict(claim, answer, DEFAULT_VERDICT_RULES, NOW);
    expect(result).toEqual({
      provider: 'trustedform',
      certificateId: claim.certificateId,
      verdict,
      reasons: [reason],
      checkedAt: NOW,
      ageSeconds: null,
      pageUrl: null,
    });
  });
});

describe('claimFromLead', () => {
  it("takes the claim from the lead's consent, contact and source", () => {
    const valid = {
      leadId: 'L-9',
      vendorId: 'vendor-from-key',
      lead: {
        consent: {
          text: TEXT,
          timestamp: NOW,
          certificateId: 'B'.repeat(8),
          certificateType: 'jornaya',
          ipAddress: null,
          pageUrl: null,
        },
        contact: { phone: '+15125550123', email: null },
        source: { vendorId: null },
      },
    } as unknown as ValidLead;
    expect(claimFromLead(valid)).toEqual({
      certificateId: 'BBBBBBBB',
      certificateType: 'jornaya',
      text: TEXT,
      timestamp: NOW,
      pageUrl: null,
      phone: '+15125550123',
      email: null,
      reference: 'L-9',
      vendor: 'vendor-from-key',
    });
  });
});
