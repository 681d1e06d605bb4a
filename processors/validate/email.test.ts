import fc from 'fast-check';
import { checkEmail, emailIdentity, isDisposableDomain, parseEmail } from './email';

const outcome = (input: string) => {
  const result = checkEmail(input);
  return {
    email: result.value?.email ?? null,
    reasons: result.reasons.map((r) => r.code),
    warnings: result.warnings.map((r) => r.code),
  };
};

describe('checkEmail', () => {
  it.each([
    ['Jane.Doe@Example.com', 'jane.doe@example.com', [], []],
    ['  jane+quotes@gmail.com ', 'jane+quotes@gmail.com', [], []],
    ["o'brien@aol.com", "o'brien@aol.com", [], []],
    ['j_doe-99@sub.mail.example.co.uk', 'j_doe-99@sub.mail.example.co.uk', [], []],
    ['josé@bücher.de', null, ['email_invalid'], []],
    ['jane@bücher.de', 'jane@xn--bcher-kva.de', [], []],
    ['info@acme-insurance.com', 'info@acme-insurance.com', [], ['email_role_account']],
    ['jane@gmai.com', 'jane@gmai.com', [], ['email_domain_typo']],
    // The disposable list includes typo-squatting catch-all domains such as gmial.com.
    ['jane@gmial.com', null, ['email_disposable'], []],
    ['jane@mailinator.com', null, ['email_disposable'], []],
    ['jane@sub.mailinator.com', null, ['email_disposable'], []],
    ['jane@YopMail.com', null, ['email_disposable'], []],
    ['jane@gmail', null, ['email_invalid'], []],
    ['jane.gmail.com', null, ['email_invalid'], []],
    ['jane doe@gmail.com', null, ['email_invalid'], []],
    ['jane..doe@gmail.com', null, ['email_invalid'], []],
    ['.jane@gmail.com', null, ['email_invalid'], []],
    ['jane@@gmail.com', null, ['email_invalid'], []],
    ['@gmail.com', null, ['email_invalid'], []],
    ['jane@-gmail.com', null, ['email_invalid'], []],
    ['jane@gmail.c', null, ['email_invalid'], []],
    ['jane@127.0.0.1', null, ['email_invalid'], []],
    ['"jane doe"@gmail.com', null, ['email_invalid'], []],
    [`${'a'.repeat(65)}@gmail.com`, null, ['email_invalid'], []],
  ])('%s -> %s %j %j', (input, email, reasons, warnings) => {
    expect(outcome(input)).toEqual({ email, reasons, warnings });
  });

  it('normalising is idempotent', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        const first = parseEmail(address);
        if ('error' in first) return;
        const second = parseEmail(first.email);
        expect(second).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const result = checkEmail(text);
        expect(result.value === null).toBe(result.reasons.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('knows disposable domains from the maintained list', () => {
    expect(isDisposableDomain('guerrillamail.com')).toBe(true);
    expect(isDisposableDomain('gmail.com')).toBe(false);
    expect(isDisposableDomain('comcast.net')).toBe(false);
  });
});

describe('emailIdentity', () => {
  it.each([
    ['Jane.Doe+Quotes@GMail.com', 'janedoe@gmail.com'],
    ['j.a.n.e.doe@googlemail.com', 'janedoe@gmail.com'],
    ['jane.doe+x@outlook.com', 'jane.doe@outlook.com'],
    ['jane.doe+x@yahoo.com', 'jane.doe+x@yahoo.com'],
    ['Jane.Doe@company.com', 'jane.doe@company.com'],
    ['not an email', null],
  ])('%s -> %s', (input, identity) => {
    expect(emailIdentity(input)).toBe(identity);
  });

  it('does not change the stored email', () => {
    expect(checkEmail('Jane.Doe+Quotes@GMail.com').value?.email).toBe('jane.doe+quotes@gmail.com');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        const identity = emailIdentity(address);
        if (identity !== null) expect(emailIdentity(identity)).toBe(identity);
      }),
      { numRuns: 300 },
    );
  });
});
