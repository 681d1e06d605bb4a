/**
 * JWTs for people and systems other than vendors: agents, partners and admins. HS256 with a
 * shared secret (LEADFLOW_JWT_SECRET), issued by operators with `leadflow tokens issue` or by an
 * identity provider configured with the same secret, issuer and audience.
 */
import { createSigner, createVerifier, TokenError } from 'fast-jwt';

export const ROLES = ['admin', 'agent', 'partner', 'buyer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a token may do besides what its role implies. Route access names the scopes it needs;
 * vendors (API keys) need none for their own leads and uploads.
 */
export const SCOPES = {
  /** Read any lead (GET /v1/leads/:id). */
  leadsRead: 'leads:read',
  /** Read any upload's status and report. */
  uploadsRead: 'uploads:read',
  /** Re-run a stage (POST /v1/admin/replay); admins only. */
  replay: 'replay',
  /** Create and change any agent's profile and availability; admins only. */
  agentsWrite: 'agents:write',
  /** Read the analytics reports (GET /v1/analytics/:report), which span every vendor. */
  analyticsRead: 'analytics:read',
  /** Erase data subjects and follow the requests (/v1/admin/privacy/erasures); admins only. */
  privacyErase: 'privacy:erase',
  /** List, approve and deny lead returns under review (/v1/admin/returns); admins only. */
  returnsReview: 'returns:review',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];
export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);

export const TOKEN_ISSUER = 'leadflow';
export const TOKEN_AUDIENCE = 'leadflow-api';

export interface TokenPrincipal {
  kind: 'token';
  subject: string;
  role: Role;
  scopes: ReadonlySet<string>;
}

export type TokenCheck =
  | { ok: true; principal: TokenPrincipal }
  | { ok: false; reason: 'token_expired' | 'invalid_token'; message: string };

export function issueToken(
  secret: string,
  claims: { subject: string; role: Role; scopes: readonly string[]; ttlSeconds: number },
  now = Date.now(),
): string {
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: claims.subject,
    expiresIn: claims.ttlSeconds * 1000,
    clockTimestamp: now,
  });
  return sign({ role: claims.role, scope: claims.scopes.join(' ') });
}

/** A verifier for the secret; only HS256 with our issuer and audience is accepted. */
export function tokenVerifier(secret: string): (token: string) => TokenCheck {
  const verify = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: TOKEN_ISSUER,
    allowedAud: TOKEN_AUDIENCE,
    requiredClaims: ['exp', 'sub', 'role'],
  });
  return (token) => {
    let payload: Record<string, unknown>;
    try {
      payload = verify(token) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) {
        return { ok: false, reason: 'token_expired', message: 'the token has expired' };
      }
      return { ok: false, reason: 'invalid_token', message: describe(error) };
    }
    const role = payload.role;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role)) {
      return {
        ok: false,
        reason: 'invalid_token',
        message: `the token's role must be one of ${ROLES.join(', ')}`,
      };
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      ok: true,
      principal: {
        kind: 'token',
        subject: payload.sub,
        role: role as Role,
        scopes: new Set(scope.split(' ').filter(Boolean)),
      },
    };
  };
}

function describe(error: unknown): string {
  if (!(error instanceof TokenError)) return 'the token cannot be verified';
  switch (error.code) {
    case TokenError.codes.malformed:
    case TokenError.codes.invalidType:
      return 'the token is not a well-formed JWT';
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
      return 'the token signature is not valid';
    case TokenError.codes.invalidAlgorithm:
      return 'the token must be signed with HS256';
    case TokenError.codes.inactive:
      return 'the token is not valid yet';
    default:
      return 'the token is not valid for this API (issuer, audience or claims)';
  }
}
