import { createSigner } from 'fast-jwt';
import { issueToken, TOKEN_AUDIENCE, TOKEN_ISSUER, tokenVerifier } from './tokens';

const secret = 'a'.repeat(32);
const verify = tokenVerifier(secret);

test('an issued token verifies to its subject, role and scopes', () => {
  const token = issueToken(secret, {
    subject: 'ops',
    role: 'admin',
    scopes: ['replay', 'leads:read'],
    ttlSeconds: 60,
  });
  const check = verify(token);
  expect(check).toMatchObject({ ok: true, principal: { kind: 'token', subject: 'ops', role: 'admin' } });
  expect(check.ok && [...check.principal.scopes]).toEqual(['replay', 'leads:read']);
});

test('expired, forged, malformed and foreign tokens are refused with a reason', () => {
  const expired = issueToken(
    secret,
    { subject: 'ops', role: 'admin', scopes: [], ttlSeconds: 60 },
    Date.now() - 120_000,
  );
  expect(verify(expired)).toMatchObject({ ok: false, reason: 'token_expired' });
  const forged = issueToken('b'.repeat(32), { subject: 'ops', role: 'admin', scopes: [], ttlSeconds: 60 });
  expect(verify(forged)).toMatchObject({
    ok: false,
    reason: 'invalid_token',
    message: expect.stringMatching(/signature/),
  });
  expect(verify('not.a.jwt')).toMatchObject({ ok: false, reason: 'invalid_token' });
  const otherAudience = createSigner({
    key: secret,
    iss: TOKEN_ISSUER,
    aud: 'someone-else',
    sub: 'x',
    expiresIn: 60_000,
  })({
    role: 'admin',
  });
  expect(verify(otherAudience)).toMatchObject({ ok: false, reason: 'invalid_token' });
  const unknownRole = createSigner({
    key: secret,
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: 'x',
    expiresIn: 60_000,
  })({
    role: 'root',
  });
  expect(verify(unknownRole)).toMatchObject({
    ok: false,
    reason: 'invalid_token',
    message: expect.stringMatching(/role/),
  });
  const unsigned = createSigner({
    algorithm: 'none',
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: 'x',
    expiresIn: 60_000,
  })({
    role: 'admin',
  });
  expect(verify(unsigned)).toMatchObject({ ok: false, reason: 'invalid_token' });
});
