import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerId, principalOf } from '../auth/access';
import { ApiError } from '../errors';
import { decide, type IdempotencyStore } from './store';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POSTs that honour `Idempotency-Key`. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency: { key: string; fingerprint: string; owner: string } | null;
  }
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long an answer is replayed. */
  ttlMs: number;
  /** How long a request may hold its key before a retry may take over (its process died). */
  lockMs: number;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` for the routes that opt in: runs after authentication and validation, so
 * the key is scoped to the caller and the fingerprint covers the request as understood.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.routeOptions.config.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new ApiError(400, 'invalid_request', 'the request has invalid fields', {
        problems: [
          {
            field: 'Idempotency-Key',
            code: 'invalid_format',
            message: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
          },
        ],
      });
    }
    const key = `${callerId(principalOf(request))}:${header}`;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url}\n`)
      .update(JSON.stringify(request.body) ?? '')
      .digest('hex');
    const owner = randomUUID();
    let existing;
    try {
      existing = await options.store.begin(key, { state: 'pending', fingerprint, owner }, options.lockMs);
    } catch (error) {
      request.log.error({ err: error }, 'idempotency store unavailable');
      throw new ApiError(
        503,
        'idempotency_unavailable',
        'Idempotency-Key cannot be honoured right now; retry later',
        {},
        { 'retry-after': '5' },
      );
    }
    const decision = decide(existing, fingerprint);
    switch (decision.kind) {
      case 'proceed':
        request.idempotency = { key, fingerprint, owner };
        return;
      case 'replay':
        return reply
          .code(decision.response.statusCode)
          .header('content-type', decision.response.contentType)
          .header('idempotent-replayed', 'true')
          .send(decision.response.body);
      case 'in_progress':
        throw new ApiError(
          409,
          'idempotency_in_progress',
          'a request with this Idempotency-Key is still being processed; retry shortly',
          {},
          { 'retry-after': '1' },
        );
      case 'mismatch':
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request',
        );
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const taken = request.idempotency;
    if (!taken) return payload;
    request.idempotency = null;
    try {
      // A failed request leaves nothing behind, so its retry is processed afresh.
      if (reply.statusCode >= 500 || typeof payload !== 'string')
        await options.store.abandon(taken.key, taken.owner);
      else
        await options.store.complete(
          taken.key,
          taken.fingerprint,
          {
            statusCode: reply.statusCode,
            contentType: String(reply.getHeader('content-type')),
            body: payload,
          },
          options.ttlMs,
        );
    } catch (error) {
      request.log.warn({ err: error }, 'could not record the idempotent answer');
    }
    return payload;
  });
}
