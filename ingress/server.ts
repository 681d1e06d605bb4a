import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Config, type RetentionConfig, retentionSettings } from '../config';
import { UploadRecorder } from '../connectors/files/upload-recorder';
import type { Upload } from '../connectors/files/upload-status';
import { RecordCodec } from '../runtime/codec';
import { GlobalTable } from '../runtime/global-table';
import type { Partner } from '../schemas/reward-records';
import type { Agent } from '../schemas/routing-records';
import type { Processor } from '../runtime/processor';
import type { Queryable } from '../sinks/postgres/database';
import { getLead } from '../sinks/postgres/read-models';
import type { Transport } from '../runtime/transport';
import type { SchemaRegistry } from '../runtime/registry';
import { platformCatalog, TOPIC } from '../topics/platform';
import type { ApiDeps } from './api';
import type { ReadinessCheck } from './app';
import { tokenVerifier } from './auth/tokens';
import { VendorDirectory } from './auth/vendor-directory';
import type { Vendor } from '../schemas/vendor-records';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './idempotency/store';
import { RawLeadWriter } from './lead-writer';
import { LeadDecisions } from './lead-decisions';
import { IntakeGate } from './caps/gate';
import { openCapCounters } from './caps/counters';
import { loadEconomicsConfig } from '../processors/ledger/economics';
import { bidKey } from './ping-post/bid-token';
import { PingPostDesk } from './ping-post/desk';
import type { KeyVault } from '../runtime/privacy/vault';
import { ReplayRunner } from '../runtime/replay/runner';
import { erasureStatus } from '../sinks/postgres/privacy';
import { ReplayService } from '../runtime/replay/service';

export type IngressConfig = Pick<
  Config,
  | 'LEADFLOW_APP_ID'
  | 'REDIS_URL'
  | 'LEADFLOW_BATCH_MAX_LEADS'
  | 'LEADFLOW_RATE_LIMIT_PER_MINUTE'
  | 'LEADFLOW_UPLOAD_MAX_BYTES'
  | 'LEADFLOW_SYNC_WAIT_MS'
  | 'LEADFLOW_ECONOMICS_CONFIG'
> &
  RetentionConfig;

export interface IngressSetup {
  config: IngressConfig;
  transport: Transport;
  registry: SchemaRegistry;
  log: Logger;
  jwtSecret: string;
  /** This process's data keys: each lead written gets one. */
  vault: KeyVault;
  /** The stages an admin may replay. */
  stages: readonly Processor<never>[];
  /** The read models' database (sinks/postgres), when this process has one: GET /v1/leads/:id. */
  readModels?: Queryable;
}

export interface Ingress {
  api: ApiDeps;
  readiness: ReadinessCheck[];
  /** After the HTTP server has closed: stops replays, tables and connections. */
  close(): Promise<void>;
}

/**
 * Opens what the API needs: the topics it writes, the vendors and uploads tables (loaded before
 * the first request), Redis for rate limits and idempotency when REDIS_URL is set (in-process
 * otherwise, which suits one process), and the replay runner.
 */
export async function openIngress(setup: IngressSetup): Promise<Ingress> {
  const { config, transport, registry, log } = setup;
  const catalog = platformCatalog(retentionSettings(config));
  const topics = [
    TOPIC.leadsRaw,
    TOPIC.privacySubjects,
    TOPIC.vendors,
    TOPIC.uploads,
    TOPIC.partners,
    TOPIC.referrals,
    TOPIC.communityEvents,
    TOPIC.agents,
    TOPIC.agentResponses,
    TOPIC.buyerReturns,
    TOPIC.leadDecisions,
  ];
  await transport.applyTopics(topics.map((t) => catalog.get(t)));
  const { vault } = setup;
  const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix, keys: vault });
  await codec.prepare(topics);
  const vendorsTable = new GlobalTable<Vendor>(TOPIC.vendors, transport, codec, log);
  const vendors = new VendorDirectory(vendorsTable);
  const uploads = new GlobalTable<Upload>(TOPIC.uploads, transport, codec, log);
  const partners = new GlobalTable<Partner>(TOPIC.partners, transport, codec, log);
  const agents = new GlobalTable<Agent>(TOPIC.agents, transport, codec, log);
  const decisions = new LeadDecisions(transport, codec, log);
  await Promise.all([
    vendorsTable.start(),
    uploads.start(),
    partners.start(),
    agents.start(),
    decisions.start(),
  ]);
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5000 })
    : null;
  redis?.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const replays = new ReplayService(
    new ReplayRunner({
      transport,
      registry,
      appId: config.LEADFLOW_APP_ID,
      catalog,
      stages: setup.stages,
      log,
      keys: vault,
    }),
    log,
  );
  const readiness: ReadinessCheck[] = [];
  if (redis) readiness.push({ name: 'redis', check: () => redis.ping() });
  const { readModels } = setup;
  if (readModels) readiness.push({ name: 'read_models', check: () => readModels.query('SELECT 1') });
  // Every lead written through the API (vendors, uploads, partners' referrals, posts) passes the
  // vendors' caps; posts also take their buyers' places, in the same counts.
  const economics = loadEconomicsConfig(config.LEADFLOW_ECONOMICS_CONFIG);
  const counters = openCapCounters(config.LEADFLOW_APP_ID, redis);
  const writer = new RawLeadWriter(transport, codec, vault, new IntakeGate(economics, counters));
  const publish = async (topic: string, key: string, value: unknown) => {
    await transport.produce([codec.encode(topic, key, value)]);
  };
  return {
    api: {
      writer,
      decisions,
      pingPost: new PingPostDesk(economics, counters, bidKey(setup.jwtSecret)),
      recorder: new UploadRecorder(transport, codec),
      uploads,
      vendors,
      verifyToken: tokenVerifier(setup.jwtSecret),
      idempotency: redis
        ? new RedisIdempotencyStore(redis, `${config.LEADFLOW_APP_ID}:idempotency:`)
        : new MemoryIdempotencyStore(),
      redis,
      keyPrefix: config.LEADFLOW_APP_ID,
      leadReader: readModels ? { getLead: (leadId, scope) => getLead(readModels, leadId, scope) } : null,
      replays,
      agents: {
        publish,
        agent: (agentId) => agents.get(agentId),
        reads: readModels ?? null,
      },
      rewards: {
        publish,
        partner: (partnerId) => partners.get(partnerId),
        leads: writer,
        reads: readModels ?? null,
      },
      privacy: {
        erasures: { transport, codec, blind: vault.blind },
        status: readModels ? (requestId) => erasureStatus(readModels, requestId) : null,
      },
      limits: {
        batchMaxLeads: config.LEADFLOW_BATCH_MAX_LEADS,
        syncWaitMs: config.LEADFLOW_SYNC_WAIT_MS,
        rateLimitPerMinute: config.LEADFLOW_RATE_LIMIT_PER_MINUTE,
        uploadMaxBytes: config.LEADFLOW_UPLOAD_MAX_BYTES,
      },
    },
    readiness,
    async close() {
      await replays.close();
      await Promise.all([
        vendorsTable.stop(),
        uploads.stop(),
        partners.stop(),
        agents.stop(),
        decisions.stop(),
      ]);
      await redis?.quit().catch(() => undefined);
    },
  };
}
