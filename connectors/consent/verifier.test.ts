import { randomBytes, randomUUID } from 'node:crypto';
import {
  CONSENT_CREDENTIALS,
  type ConsentServer,
  type JornayaToken,
  startConsentServer,
  type TrustedFormCertificate,
} from '../../test/support/consent-server';
import { ConsentConfigurationError } from './http';
import { type ConsentCheck, ConsentVerifier, type ConsentVerifierOptions } from './verifier';
import { type ClaimedConsent, type ConsentVerification, DEFAULT_VERDICT_RULES } from './verdict';

const DAY = 24 * 3600 * 1000;
const TEXT =
  'By clicking Get Quotes, I agree that Acme Insurance may call and text me at the number above, including by autodialer. Consent is not a condition of purchase.';
const EMAIL = 'jane.doe@example.com';
const PHONE = '+15125550123';

let server: ConsentServer;

beforeAll(async () => {
  server = await startConsentServer();
});

afterAll(async () => {
  await server.close();
});

function verifier(overrides: Partial<ConsentVerifierOptions> = {}): ConsentVerifier {
  return new ConsentVerifier({
    trustedForm: { baseUrl: server.trustedFormBaseUrl, apiKey: CONSENT_CREDENTIALS.trustedFormKey },
    jornaya: {
      baseUrl: server.jornayaBaseUrl,
      accountCode: CONSENT_CREDENTIALS.jornayaAccountCode,
      audit: {
        auditKey: CONSENT_CREDENTIALS.jornayaAuditKey,
        providerCode: CONSENT_CREDENTIALS.jornayaProviderCode,
      },
    },
    rules: DEFAULT_VERDICT_RULES,
    timeoutMs: 1000,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000, jitter: 0 },
    outagePolicy: 'hold',
    breaker: { failureThreshold: 5, cooldownMs: 60_000 },
    ...overrides,
  });
}

function trustedForm(certificate: Partial<TrustedFormCertificate> = {}): ClaimedConsent {
  const id = randomBytes(20).toString('hex');
  const createdAt = Date.now() - 2 * DAY;
  server.registerTrustedForm(id, {
    createdAt,
    pageUrl: 'https://quotes.example.com/auto?utm_source=feed',
    consentTexts: [`Get Quotes ${TEXT} Privacy Policy`],
    email: EMAIL,
    phone: '(512) 555-0123',
    ...certificate,
  });
  return claimFor(id, 'trustedform', createdAt + 30_000);
}

function jornaya(token: Partial<JornayaToken> = {}): ClaimedConsent {
  const id = randomUUID().toUpperCase();
  const createdAt = Date.now() - 3 * DAY;
  server.registerJornaya(id, { createdAt, email: EMAIL, phone: '5125550123', ...token });
  return claimFor(id, 'jornaya', createdAt + 30_000);
}

function claimFor(certificateId: string, certificateType: 'trustedform' | 'jornaya', timestamp: number) {
  return {
    certificateId,
    certificateType,
    text: TEXT,
    timestamp,
    pageUrl: 'https://quotes.example.com/auto',
    phone: PHONE,
    email: EMAIL,
    reference: 'lead-42',
    vendor: 'Acme Leads',
  } satisfies ClaimedConsent;
}

function checked(result: ConsentCheck): ConsentVerification {
  if (result.status !== 'checked') throw new Error(`expected a verdict, got ${JSON.stringify(result)}`);
  return result.verification;
}

const codes = (verification: ConsentVerification) =>
  verification.reasons.map((reason) => reason.split(':')[0]);

/** Requests the server receives while `work` runs. */
async function requestsDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; requests: typeof server.requests }> {
  const before = server.requests.length;
  const result = await work();
  return { result, requests: server.requests.slice(before) };
}

describe('TrustedForm', () => {
  it('claims, retains and verifies a certificate that agrees with the lead', async () => {
    const claim = trustedForm();
    const { result, requests } = await requestsDuring(() => verifier().verify(claim));
    const verification = checked(result);
    expect(verification).toMatchObject({
      provider: 'trustedform',
      certificateId: claim.certificateId,
      verdict: 'verified',
      reasons: [],
      pageUrl: 'https://quotes.example.com/auto?utm_source=feed',
    });
    expect(verification.ageSeconds).toBeGreaterThanOrEqual(2 * 24 * 3600);
    expect(verification.ageSeconds).toBeLessThan(2 * 24 * 3600 + 60);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(`/trustedform/${claim.certificateId}`);
    expect(request!.headers['api-version']).toBe('4.0');
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from(`API:${CONSENT_CREDENTIALS.trustedFormKey}`).toString('base64')}`,
    );
    expect(JSON.parse(request!.body)).toEqual({
      match_lead: { email: EMAIL, phone: '5125550123' },
      retain: { reference: 'lead-42', vendor: 'Acme Leads' },
      insights: { properties: ['age_seconds', 'created_at', 'expires_at', 'page_url'] },
      verify: {},
    });
  });

  it('reports a page on another host', async () => {
    const verification = checked(
      await verifier().verify(trustedForm({ pageUrl: 'https://cheap-leads.example.net/' })),
    );
    expect(verification.verdict).toBe('mismatch');
    expect(verification.reasons).toEqual([
      'page_host_mismatch: lead says quotes.example.com, certificate recorded cheap-leads.example.net',
    ]);
  });

  it('reports consent text the certificate did not record', async () => {
    const verification = checked(
      await verifier().verify(
        trustedForm({ consentTexts: [TEXT.replace('Acme Insurance', 'our partners')] }),
      ),
    );
    expect(verification.verdict).toBe('mismatch');
    expect(codes(verification)).toEqual(['consent_text_mismatch']);
  });

  it('reports a certificate recorded for another consumer', async () => {
    const verification = checked(
      await verifier().verify(trustedForm({ email: 'someone.else@example.com', phone: '2125550199' })),
    );
    expect(verification.verdict).toBe('mismatch');
    expect(codes(verification)).toEqual(['email_mismatch', 'phone_mismatch']);
  });

  it('under the all rule, reports one differing identifier', async () => {
    const strict = verifier({ rules: { ...DEFAULT_VERDICT_RULES, contactMatchRule: 'all' } });
    const verification = checked(await strict.verify(trustedForm({ phone: '2125550199' })));
    expect(codes(verification)).toEqual(['phone_mismatch']);
  });

  it('reports language TrustedForm Verify did not approve', async () => {
    const verification = checked(await verifier().verify(trustedForm({ languageApproved: false })));
    expect(verification.verdict).toBe('mismatch');
    expect(codes(verification)).toEqual(['consent_language_not_approved']);
  });

  it("keeps a failure it cannot name in TrustedForm's words", async () => {
    const verification = checked(
      await verifier().verify(trustedForm({ failureReason: 'Form was not submitted' })),
    );
    expect(verification.verdict).toBe('mismatch');
    expect(verification.reasons).toEqual(['provider_rejected: Form was not submitted']);
  });

  it('calls a certificate older than the maximum expired', async () => {
    const claim = trustedForm({ createdAt: Date.now() - 100 * DAY, expiresAt: Date.now() + DAY });
    const verification = checked(await verifier().verify({ ...claim, timestamp: Date.now() - 100 * DAY }));
    expect(verification.verdict).toBe('expired');
    expect(codes(verification)).toEqual(['certificate_too_old']);
    expect(verification.ageSeconds).toBeGreaterThan(90 * 24 * 3600);
  });

  it('calls a certificate past its time to live (410) expired', async () => {
    const verification = checked(await verifier().verify(trustedForm({ gone: true })));
    expect(verification).toMatchObject({ verdict: 'expired', ageSeconds: null, pageUrl: null });
    expect(codes(verification)).toEqual(['certificate_expired']);
  });

  it('reports an unknown certificate as not found, without retrying', async () => {
    const claim = { ...trustedForm(), certificateId: 'f'.repeat(40) };
    const { result, requests } = await requestsDuring(() => verifier().verify(claim));
    expect(checked(result).verdict).toBe('not_found');
    expect(requests).toHaveLength(1);
  });
});

describe('Jornaya', () => {
  it('audits a token that agrees with the lead, keeping keys and contact out of the URL', async () => {
    const claim = jornaya();
    const { result, requests } = await requestsDuring(() => verifier().verify(claim));
    const verification = checked(result);
    expect(verification).toMatchObject({
      provider: 'jornaya',
      verdict: 'verified',
      reasons: [],
      pageUrl: null,
    });
    expect(verification.ageSeconds).toBeGreaterThanOrEqual(3 * 24 * 3600);
    expect(verification.ageSeconds).toBeLessThan(3 * 24 * 3600 + 60);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/jornaya/SingleQuery');
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      lac: CONSENT_CREDENTIALS.jornayaAccountCode,
      lak: CONSENT_CREDENTIALS.jornayaAuditKey,
      lpc: CONSENT_CREDENTIALS.jornayaProviderCode,
      id: claim.certificateId,
      format: 'json',
      data: `email;${EMAIL}|phone1;5125550123`,
    });
  });

  it('reports data integrity failures per identifier', async () => {
    const strict = verifier({ rules: { ...DEFAULT_VERDICT_RULES, contactMatchRule: 'all' } });
    const verification = checked(await strict.verify(jornaya({ phone: '2125550199' })));
    expect(verification.verdict).toBe('mismatch');
    expect(codes(verification)).toEqual(['phone_mismatch']);
  });

  it('calls a token older than the maximum expired', async () => {
    const claim = jornaya({ createdAt: Date.now() - 40 * DAY });
    const thirtyDays = verifier({ rules: { ...DEFAULT_VERDICT_RULES, maxAgeSeconds: 30 * 24 * 3600 } });
    const verification = checked(await thirtyDays.verify({ ...claim, timestamp: Date.now() - 40 * DAY }));
    expect(verification.verdict).toBe('expired');
    expect(codes(verification)).toEqual(['certificate_too_old']);
  });

  it.each([
    [1, 'expired', 'certificate_expired'],
    [3, 'mismatch', 'consumer_opted_out'],
    [2, 'mismatch', 'token_query_limit_reached'],
  ] as const)('reads authentic 0 with reason %i as %s', async (reason, verdict, code) => {
    const verification = checked(await verifier().verify(jornaya({ authentic: 0, reason })));
    expect(verification.verdict).toBe(verdict);
    expect(codes(verification)).toEqual([code]);
  });

  it('reports a token Jornaya did not make as not found', async () => {
    const claim = { ...jornaya(), certificateId: randomUUID().toUpperCase() };
    expect(checked(await verifier().verify(claim)).reasons).toEqual([
      'certificate_not_found: Jornaya did not make this token',
    ]);
  });

  it('with only an account code, authenticates the token (no age, no contact check)', async () => {
    const authenticateOnly = verifier({
      jornaya: {
        baseUrl: server.jornayaBaseUrl,
        accountCode: CONSENT_CREDENTIALS.jornayaAccountCode,
        audit: null,
      },
    });
    const claim = jornaya({ phone: '2125550199' });
    const { result, requests } = await requestsDuring(() => authenticateOnly.verify(claim));
    expect(checked(result)).toMatchObject({ verdict: 'verified', ageSeconds: null, reasons: [] });
    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.url).toBe(
      `/jornaya/Authenticate?lac=${CONSENT_CREDENTIALS.jornayaAccountCode}&id=${claim.certificateId}`,
    );
  });
});

describe('outages', () => {
  it('retries 5xx answers and timeouts, then verifies', async () => {
    const claim = trustedForm();
    server.failNext({ kind: 'status', status: 503 });
    server.failNext({ kind: 'slow', ms: 800 });
    const quick = verifier({ timeoutMs: 300 });
    const { result, requests } = await requestsDuring(() => quick.verify(claim));
    expect(checked(result).verdict).toBe('verified');
    expect(requests).toHaveLength(3);
  });

  it('waits as long as a 429 asks before trying again', async () => {
    const claim = jornaya();
    server.failNext({ kind: 'status', status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const { result, requests } = await requestsDuring(() => verifier().verify(claim));
    expect(checked(result).verdict).toBe('verified');
    expect(requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('holds at once when a 429 asks for longer than the retry policy waits', async () => {
    const claim = trustedForm();
    server.failNext({ kind: 'status', status: 429, retryAfterSeconds: 30 });
    const { result, requests } = await requestsDuring(() => verifier().verify(claim));
    expect(result).toEqual({
      status: 'hold',
      provider: 'trustedform',
      certificateId: claim.certificateId,
      reason: 'provider_unavailable: trustedform answered HTTP 429',
      retryAfterMs: 30_000,
    });
    expect(requests).toHaveLength(1);
  });

  it('under the hold policy, asks the caller to try again after the retries run out', async () => {
    const claim = trustedForm();
    server.failNext({ kind: 'status', status: 500 }, 3);
    const { result, requests } = await requestsDuring(() => verifier({ outagePolicy: 'hold' }).verify(claim));
    expect(result).toEqual({
      status: 'hold',
      provider: 'trustedform',
      certificateId: claim.certificateId,
      reason: 'provider_unavailable: trustedform answered HTTP 500',
      retryAfterMs: null,
    });
    expect(requests).toHaveLength(3);
  });

  it('under the pass-flagged policy, lets the lead through as unavailable', async () => {
    const claim = jornaya();
    server.failNext({ kind: 'slow', ms: 600 }, 3);
    const verification = checked(
      await verifier({ outagePolicy: 'pass-flagged', timeoutMs: 200 }).verify(claim),
    );
    expect(verification).toMatchObject({
      provider: 'jornaya',
      certificateId: claim.certificateId,
      verdict: 'unavailable',
      reasons: ['provider_unavailable: jornaya did not answer within 200 ms'],
      ageSeconds: null,
      pageUrl: null,
    });
  });

  it('stops calling a provider that keeps failing, until the cooldown passes', async () => {
    let now = Date.now();
    const fragile = verifier({
      retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 100 },
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      now: () => now,
    });
    server.failNext({ kind: 'status', status: 502 }, 2);
    expect((await fragile.verify(trustedForm())).status).toBe('hold');
    expect((await fragile.verify(trustedForm())).status).toBe('hold');

    const { result, requests } = await requestsDuring(() => fragile.verify(trustedForm()));
    expect(result).toMatchObject({ status: 'hold', reason: expect.stringMatching(/^circuit_open: /) });
    expect(requests).toHaveLength(0);
    const other = await fragile.verify(jornaya());
    expect(checked(other).verdict).toBe('verified');

    now += 60_000;
    expect(checked(await fragile.verify(trustedForm())).verdict).toBe('verified');
  });
});

describe('configuration', () => {
  it('names TrustedForm when it refuses the key, without retrying', async () => {
    const claim = trustedForm();
    const wrongKey = verifier({ trustedForm: { baseUrl: server.trustedFormBaseUrl, apiKey: 'revoked' } });
    const before = server.requests.length;
    const failure = await wrongKey.verify(claim).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConsentConfigurationError);
    expect(failure).toMatchObject({ provider: 'trustedform', statusCode: 401, retryable: false });
    expect((failure as Error).message).toBe(
      'trustedform refused the configured credentials (HTTP 401): check the trustedform settings of the consent connector',
    );
    expect((failure as Error).message).not.toContain('revoked');
    expect(server.requests.length - before).toBe(1);
  });

  it('names Jornaya when it refuses the account code', async () => {
    const wrongAccount = verifier({
      jornaya: { baseUrl: server.jornayaBaseUrl, accountCode: 'nobody', audit: null },
    });
    await expect(wrongAccount.verify(jornaya())).rejects.toMatchObject({
      name: 'ConsentConfigurationError',
      provider: 'jornaya',
      statusCode: 401,
    });
  });

  it('leaves certificates of unsupported or unconfigured providers unverified, without calls', async () => {
    const claim = trustedForm();
    const { result, requests } = await requestsDuring(async () => [
      await verifier().verify({ ...claim, certificateType: 'other' }),
      await verifier({ trustedForm: null }).verify(claim),
    ]);
    expect(result.map((check) => checked(check)).map(codes)).toEqual([
      ['provider_unsupported'],
      ['provider_not_configured'],
    ]);
    expect(result.map((check) => checked(check).verdict)).toEqual(['unavailable', 'unavailable']);
    expect(requests).toHaveLength(0);
  });
});
