import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { UploadRecorder } from '../connectors/files/upload-recorder';
import type { Upload } from '../connectors/files/upload-status';
import type { GlobalTable } from '../runtime/global-table';
import { accessHook, callerId, principalOf } from './auth/access';
import type { TokenCheck } from './auth/tokens';
import type { VendorDirectory } from './auth/vendor-directory';
import { ApiError } from './errors';
import { registerIdempotency } from './idempotency/hooks';
import type { IdempotencyStore } from './idempotency/store';
import type { RawLeadWriter } from './lead-writer';
import type { LeadDecisions } from './lead-decisions';
import type { ReplayService } from '../runtime/replay/service';
import { type LeadReader, leadRoutes } from './routes/leads';
import type { PingPostDesk } from './ping-post/desk';
import { pingPostRoutes } from './routes/ping-post';
import { type AgentApiDeps, agentRoutes } from './routes/agents';
import { analyticsRoutes } from './routes/analytics';
import { returnRoutes } from './routes/returns';
import { communityRoutes } from './routes/community';
import { partnerRoutes, type RewardsApiDeps } from './routes/partners';
import { replayRoutes } from './routes/replay';
import { type PrivacyApiDeps, privacyRoutes } from './routes/privacy';
import { uploadRoutes } from './routes/uploads';
import { vendorRoutes } from './routes/vendors';

export interface ApiLimits {
  batchMaxLeads: number;
  /** How long POST /v1/leads?mode=sync waits for the decision by default. */
  syncWaitMs: number;
  /** Requests per minute per caller, unless the vendor has its own limit. */
  rateLimitPerMinute: number;
  uploadMaxBytes: number;
}

/** Everything the /v1 API needs; `openIngress` (server.ts) builds it from the configuration. */
export interface ApiDeps {
  writer: RawLeadWriter;
  decisions: LeadDecisions;
  /** Ping-post: bids from the economics file's buyers, and the bids posted leads take. */
  pingPost: PingPostDesk;
  recorder: UploadRecorder;
  uploads: GlobalTable<Upload>;
  vendors: VendorDirectory;
  verifyToken: (token: string) => TokenCheck;
  idempotency: IdempotencyStore;
  /** Shared rate-limit counters across processes; in-process counters when null. */
  redis: Redis | null;
  /** Prefix of this deployment's keys in Redis (the app id). */
  keyPrefix: string;
  leadReader: LeadReader | null;
  replays: ReplayService;
  /** Partners, referrals, community and VIP status. */
  rewards: RewardsApiDeps;
  /** Agent profiles, availability, offers and outcomes. */
  agents: AgentApiDeps;
  /** Erasure requests. */
  privacy: PrivacyApiDeps;
  limits: ApiLimits;
}

const DAY_MS = 24 * 3_600_000;

/** The vendor lead API, uploads and admin replay, each route declaring who may call it. */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(async (api) => {
    // JSON only (multipart for uploads): a text/plain body is a 415, not a string to validate.
    api.removeContentTypeParser('text/plain');
    api.decorateRequest('principal', null);
    api.addHook('onRequest', accessHook({ vendors: deps.vendors, verifyToken: deps.verifyToken }));
    await api.register(rateLimit, {
      global: false,
      // After authentication (onRequest) and before the body is read, so a flood costs no parsing.
      hook: 'preParsing',
      timeWindow: 60_000,
      keyGenerator: (request) => callerId(principalOf(request)),
      max: (request) => {
        const principal = principalOf(request);
        return (
          (principal.kind === 'vendor' && principal.rateLimitPerMinute) || deps.limits.rateLimitPerMinute
        );
      },
      ...(deps.redis ? { redis: deps.redis, nameSpace: `${deps.keyPrefix}:rate:` } : {}),
      // A Redis outage must not take the API down with it: requests pass unlimited meanwhile.
      skipOnError: true,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          'rate_limited',
          `more than ${context.max} requests per minute; retry in ${context.after}`,
          {
            retry_after_seconds: Math.max(1, Math.ceil(context.ttl / 1000)),
          },
        ),
    });
    registerIdempotency(api, { store: deps.idempotency, ttlMs: DAY_MS, lockMs: 60_000 });
    await api.register(leadRoutes, {
      writer: deps.writer,
      decisions: deps.decisions,
      syncWaitMs: deps.limits.syncWaitMs,
      batchMaxLeads: deps.limits.batchMaxLeads,
      reader: deps.leadReader,
    });
    await api.register(pingPostRoutes, {
      desk: deps.pingPost,
      writer: deps.writer,
      decisions: deps.decisions,
      syncWaitMs: deps.limits.syncWaitMs,
    });
    await api.register(uploadRoutes, {
      writer: deps.writer,
      recorder: deps.recorder,
      uploads: deps.uploads,
      maxBytes: deps.limits.uploadMaxBytes,
    });
    await api.register(replayRoutes, { replays: deps.replays });
    await api.register(privacyRoutes, deps.privacy);
    await api.register(agentRoutes, deps.agents);
    await api.register(returnRoutes, deps.agents);
    await api.register(analyticsRoutes, { reads: deps.agents.reads });
    await api.register(vendorRoutes, { reads: deps.agents.reads });
    await api.register(partnerRoutes, deps.rewards);
    await api.register(communityRoutes, deps.rewards);
  });
}
