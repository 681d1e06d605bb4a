/**
 * Who is calling, and whether they may: every API route declares its `access` in its config, and
 * one hook checks it before anything else runs. Vendors authenticate with API keys, everyone
 * else with JWTs; both arrive as `Authorization: Bearer ...`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors';
import { type Role, type Scope, type TokenCheck, type TokenPrincipal } from './tokens';
import type { VendorDirectory } from './vendor-directory';
import { isApiKey } from './vendors';

export interface VendorPrincipal {
  kind: 'vendor';
  vendorId: string;
  rateLimitPerMinute: number | null;
}

export type Principal = VendorPrincipal | TokenPrincipal;

export interface Access {
  /** Vendors may call it with their API key (for their own data). */
  vendors?: boolean;
  /** Token roles that may call it. */
  roles?: readonly Role[];
  /** Scopes a token needs, all of them. */
  scopes?: readonly Scope[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface Authenticators {
  vendors: VendorDirectory;
  verifyToken: (token: string) => TokenCheck;
  now?: () => number;
}

const challenge = { 'www-authenticate': 'Bearer realm="leadflow"' };
const unauthorized = (error: string, message: string) => new ApiError(401, error, message, {}, challenge);
const forbidden = (error: string, message: string) => new ApiError(403, error, message);

/** The onRequest hook: authenticates the caller and checks the route's access rule. */
export function accessHook(auth: Authenticators) {
  const now = auth.now ?? Date.now;
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    // Node keeps the first of repeated Authorization headers; a proxy in front may use another.
    if (authorizationHeaderCount(request) > 1) {
      throw unauthorized('malformed_credentials', 'send exactly one Authorization header');
    }
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw unauthorized('missing_credentials', 'send Authorization: Bearer <API key or token>');
    }
    const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header);
    if (!match)
      throw unauthorized(
        'malformed_credentials',
        'the Authorization header must be "Bearer <API key or token>"',
      );
    const credential = match[1]!;
    request.principal = isApiKey(credential) ? vendorOf(auth, credential, now()) : tokenOf(auth, credential);
    authorize(request.principal, access);
  };
}

function authorizationHeaderCount(request: FastifyRequest): number {
  const names = request.raw.rawHeaders.filter((_, i) => i % 2 === 0);
  return names.filter((name) => name.toLowerCase() === 'authorization').length;
}

function vendorOf(auth: Authenticators, apiKey: string, now: number): VendorPrincipal {
  const check = auth.vendors.authenticate(apiKey, now);
  if (!check.ok) {
    if (check.reason === 'vendor_disabled') throw forbidden('vendor_disabled', 'this vendor is disabled');
    const message =
      check.reason === 'api_key_expired'
        ? 'this API key was rotated and has expired'
        : 'the API key is not known';
    throw unauthorized(check.reason, message);
  }
  return {
    kind: 'vendor',
    vendorId: check.vendor.vendorId,
    rateLimitPerMinute: check.vendor.rateLimitPerMinute,
  };
}

function tokenOf(auth: Authenticators, token: string): TokenPrincipal {
  const check = auth.verifyToken(token);
  if (!check.ok) throw unauthorized(check.reason, check.message);
  return check.principal;
}

function authorize(principal: Principal, access: Access): void {
  if (principal.kind === 'vendor') {
    if (!access.vendors) throw forbidden('forbidden', 'vendor API keys cannot call this endpoint');
    return;
  }
  if (!access.roles?.includes(principal.role)) {
    throw forbidden('forbidden', `role ${principal.role} cannot call this endpoint`);
  }
  const missing = (access.scopes ?? []).filter((scope) => !principal.scopes.has(scope));
  if (missing.length > 0) {
    throw forbidden('insufficient_scope', `the token lacks the scope(s) ${missing.join(', ')}`);
  }
}

/** The caller as the `Principal` of an authenticated route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no access rule`);
  return request.principal;
}

/** A stable id for per-caller limits and idempotency keys. */
export function callerId(principal: Principal): string {
  return principal.kind === 'vendor'
    ? `vendor:${principal.vendorId}`
    : `${principal.role}:${principal.subject}`;
}

/** Whether the caller may see data that belongs to `vendorId`. */
export function canSeeVendorData(principal: Principal, vendorId: string | null, scope: Scope): boolean {
  return principal.kind === 'vendor' ? principal.vendorId === vendorId : principal.scopes.has(scope);
}
