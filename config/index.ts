import path from 'node:path';

/** Vendors with their own metric series unless LEADFLOW_METRICS_VENDOR_LABELS says otherwise. */
export const DEFAULT_VENDOR_LABELS = 25;
import { z } from 'zod';

/**
 * The one place leadflow reads its environment. Every setting has a documented default so the
 * embedded platform starts with nothing set; a bad value stops the process at start with a message
 * naming the variable, instead of surfacing later as a confusing connection error.
 */
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((value) => protocols.some((p) => value.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

const WHOLE_DAYS = 'must be a whole number of days';

const retentionDays = z.coerce
  .number({ error: WHOLE_DAYS })
  .int(WHOLE_DAYS)
  .min(1, 'must be at least 1 day')
  .max(3650, 'must be at most 3650 days')
  .optional();

export const configSchema = z.object({
  LEADFLOW_TRANSPORT: z.enum(['embedded', 'kafka']).default('embedded'),
  LEADFLOW_DATA_DIR: z.string().min(1).default('./.leadflow'),
  LEADFLOW_APP_ID: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
    .default('leadflow'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('leadflow'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may only hold letters, digits, dots, dashes and underscores')
    .default(''),
  /** This process in its transactional ids and, as a static member, its consumer groups; see KafkaOptions.instanceId. */
  KAFKA_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'may only hold letters, digits, dots, dashes and underscores')
    .optional(),
  /**
   * How long the group waits for a silent member before its partitions move: a crash's cost in
   * stalled partitions; with KAFKA_INSTANCE_ID, also how long a restart may take without moving any.
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  /** How long a caught-up task waits for more input before it commits; unset: CommitPolicy's default. */
  LEADFLOW_COMMIT_LINGER_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  /** Longest a task with input waiting keeps its work uncommitted; unset: CommitPolicy's default. */
  LEADFLOW_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  /**
   * How often a task on Kafka checkpoints changed state under LEADFLOW_DATA_DIR/state, so a
   * restart reads only the changelog written since; 0: only when a task is closed.
   */
  LEADFLOW_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  SCHEMA_REGISTRY_URL: url(['http', 'https']).optional(),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  /** PostgreSQL schema of the read models, so several deployments can share one database. */
  LEADFLOW_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be lower-case letters, digits and underscores')
    .default('public'),
  REDIS_URL: url(['redis', 'rediss']).optional(),
  NEO4J_URL: url(['bolt', 'neo4j', 'neo4j+s', 'bolt+s']).optional(),
  NEO4J_USER: z.string().min(1).optional(),
  NEO4J_PASSWORD: z.string().min(1).optional(),
  LEADFLOW_GRAPH_JOB_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  QDRANT_URL: url(['http', 'https']).optional(),
  OPENAI_BASE_URL: url(['http', 'https']).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  LEADFLOW_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8000),
  LEADFLOW_LLM_USD_PER_MTOK_INPUT: z.coerce.number().min(0).optional(),
  LEADFLOW_LLM_USD_PER_MTOK_OUTPUT: z.coerce.number().min(0).optional(),
  LEADFLOW_DUPLICATE_WINDOW_DAYS: z.coerce.number().positive().max(3650).default(30),
  LEADFLOW_CONSENT_MAX_AGE_DAYS: z.coerce.number().positive().max(3650).default(90),
  /** Consent certificates are claimed and checked with their provider once its key or code is set. */
  TRUSTEDFORM_API_URL: url(['http', 'https']).default('https://cert.trustedform.com'),
  TRUSTEDFORM_API_KEY: z.string().min(1).optional(),
  JORNAYA_API_URL: url(['http', 'https']).default('https://api.leadid.com'),
  JORNAYA_ACCOUNT_CODE: z.string().min(1).optional(),
  /** With the provider code, the lead audit (age, contact match) instead of Authenticate. */
  JORNAYA_AUDIT_KEY: z.string().min(1).optional(),
  JORNAYA_PROVIDER_CODE: z.string().min(1).optional(),
  /** While a provider cannot answer: hold the lead (retry rounds, then dead letter) or pass it flagged. */
  LEADFLOW_CONSENT_OUTAGE_POLICY: z.enum(['hold', 'pass-flagged']).default('hold'),
  LEADFLOW_CONSENT_TEXT_RULE: z.enum(['contains', 'exact']).default('contains'),
  LEADFLOW_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LEADFLOW_ROUTING_CONFIG: z.string().min(1).optional(),
  LEADFLOW_REWARDS_CONFIG: z.string().min(1).optional(),
  /** Prices paid to vendors and charged to agents (processors/ledger/economics.ts). */
  LEADFLOW_ECONOMICS_CONFIG: z.string().min(1).optional(),
  /**
   * The privacy master key (32 bytes, base64): wraps each lead's data key and keys the blind
   * indexes. Required on Kafka; the embedded transport generates one into the data dir.
   */
  LEADFLOW_PRIVACY_KEY: z.string().optional(),
  LEADFLOW_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  SMTP_URL: url(['smtp', 'smtps']).optional(),
  LEADFLOW_EMAIL_FROM: z.string().min(3).default('leadflow <offers@leadflow.local>'),
  SMS_API_BASE_URL: url(['http', 'https']).optional(),
  SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).optional(),
  LEADFLOW_BATCH_MAX_LEADS: z.coerce.number().int().min(1).max(10_000).default(500),
  /** How long POST /v1/leads?mode=sync waits for the pipeline's decision before answering pending. */
  LEADFLOW_SYNC_WAIT_MS: z.coerce.number().int().min(100).max(30_000).default(5000),
  LEADFLOW_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  LEADFLOW_METRICS_VENDOR_LABELS: z.coerce.number().int().min(1).max(1000).default(DEFAULT_VENDOR_LABELS),
  LEADFLOW_UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 1024 ** 3),
  /** Longest a client may take to send a whole request (slow-body protection), in ms. */
  LEADFLOW_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
  /** Longest an HTTP connection may stay silent before it is closed, in ms. */
  LEADFLOW_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /**
   * Days each data class is kept on its topics and in its tables (docs/operations.md#retention);
   * unset: the catalogue's default (DEFAULT_RETENTION_DAYS in topics/platform.ts).
   */
  RETENTION_RAW_LEADS_DAYS: retentionDays,
  RETENTION_REJECTED_LEADS_DAYS: retentionDays,
  RETENTION_TRAINING_DAYS: retentionDays,
});

type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** LEADFLOW_DATA_DIR resolved against the working directory. */
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset, as shells and .env files commonly produce them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const byVariable = new Map<string, string[]>();
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(root)');
      byVariable.set(variable, [...(byVariable.get(variable) ?? []), issue.message]);
    }
    throw new ConfigError(
      [...byVariable].map(([variable, messages]) => ({ variable, message: messages.join('; ') })),
    );
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.LEADFLOW_DATA_DIR) };
}

/** Settings that are safe to print: secrets never leave this module in clear text. */
export function describeConfig(config: Config): Record<string, string> {
  const secret = new Set([
    'OPENAI_API_KEY',
    'TRUSTEDFORM_API_KEY',
    'JORNAYA_ACCOUNT_CODE',
    'JORNAYA_AUDIT_KEY',
    'LEADFLOW_JWT_SECRET',
    'LEADFLOW_WEBHOOK_SECRET',
    'LEADFLOW_PRIVACY_KEY',
    'SMS_AUTH_TOKEN',
    'NEO4J_PASSWORD',
  ]);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'dataDir' || value === undefined) continue;
    out[key] = secret.has(key) ? '***' : Array.isArray(value) ? value.join(',') : redactUrl(String(value));
  }
  return out;
}

function redactUrl(value: string): string {
  return value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

/**
 * The commit policy (runtime CommitPolicy) the configuration asks for; what it leaves unset keeps
 * the runtime's default.
 */
export function commitPolicy(config: Config): { lingerMs?: number; commitIntervalMs?: number } {
  return { lingerMs: config.LEADFLOW_COMMIT_LINGER_MS, commitIntervalMs: config.LEADFLOW_COMMIT_INTERVAL_MS };
}

export type RetentionConfig = Pick<
  Config,
  'RETENTION_RAW_LEADS_DAYS' | 'RETENTION_REJECTED_LEADS_DAYS' | 'RETENTION_TRAINING_DAYS'
>;

/**
 * Days each data class is kept, as the configuration asks (topics/platform.ts names the classes);
 * what it leaves unset keeps the catalogue's default.
 */
export function retentionSettings(config: RetentionConfig): {
  rawLeads?: number;
  rejectedLeads?: number;
  training?: number;
} {
  return {
    rawLeads: config.RETENTION_RAW_LEADS_DAYS,
    rejectedLeads: config.RETENTION_REJECTED_LEADS_DAYS,
    training: config.RETENTION_TRAINING_DAYS,
  };
}
