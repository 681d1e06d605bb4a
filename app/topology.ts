import { type Config, DEFAULT_VENDOR_LABELS, type RetentionConfig, retentionSettings } from '../config';
import type { LlmEnricher } from '../connectors/llm/enricher';
import { DEFAULT_DELIVERY } from '../connectors/notify/delivery';
import { vendorWebhooksProcessor } from '../connectors/vendor-webhooks/processor';
import { loadDefaultModel } from '../models/default-model';
import { fuse } from '../runtime/fusion';
import type { Processor } from '../runtime/processor';
import { type Database, postgresSinks } from '../sinks';
import type { Embedder } from '../sinks/vectors/embedding';
import { metricsSinks } from '../sinks/metrics/processor';
import type { Graph } from '../sinks/neo4j/graph';
import { neo4jSinks } from '../sinks/neo4j/processor';
import type { VectorIndex } from '../sinks/vectors/index';
import { vectorSinkProcessor } from '../sinks/vectors/processor';
import { type RoutingSettings, routingProcessors } from './routing-stages';
import { type RewardSettings, rewardProcessors } from '../processors/reward/processor';
import { enrichProcessor } from '../processors/enrich/processor';
import { type ConsentSettings, consentVerifierFrom } from './consent';
import { scoreFeedbackProcessor } from '../processors/score/feedback';
import { scoreProcessor } from '../processors/score/processor';
import { validateProcessor } from '../processors/validate/processor';
import { emailScreenProcessor, phoneScreenProcessor } from '../processors/validate/screen';
import { privacyKey } from './privacy/key-vault';
import { eraseProcessor } from '../processors/erase/processor';
import { ledgerProcessor } from '../processors/ledger/processor';
import { dataRetention, platformCatalog } from '../topics/platform';

export type TopologySettings = Pick<
  Config,
  | 'LEADFLOW_DUPLICATE_WINDOW_DAYS'
  | 'LEADFLOW_CONSENT_MAX_AGE_DAYS'
  | 'LEADFLOW_PRIVACY_KEY'
  | 'LEADFLOW_TRANSPORT'
  | 'dataDir'
> &
  Partial<Pick<Config, 'LEADFLOW_METRICS_VENDOR_LABELS'>> &
  RetentionConfig &
  Partial<ConsentSettings> &
  RoutingSettings &
  RewardSettings;

/** The optional AI services of the score stage; without them it scores with the local model only. */
export interface AiServices {
  llm?: LlmEnricher | null;
  /** Where the `vectors` sink puts lead embeddings for similar-lead search. */
  vectors?: { index: VectorIndex; embedder: Embedder };
}

/**
 * The pipeline's stages in flow order. Where a lead goes next is the first output topic of each:
 *
 *   privacy.subjects (each lead's identities, erasure requests) -> erase -> privacy.keys (erased
 *     marks), privacy.erasures (the audit, for the read models, graph and vectors)
 *   leads.raw -> validate -> leads.by-phone -> screen-phone -> leads.by-email -> screen-email
 *     -> leads.valid -> enrich -> leads.enriched          (every stage may also reject to leads.rejected)
 *     -> score -> leads.scored;  leads.scored + lead.outcomes -> score-feedback -> model.training
 *     -> match -> leads.matched (by routing group) + agent.responses -> assign -> assignments
 *     -> notify (offers to agents) -> assignments.notifications
 *     -> report-outcomes -> lead.outcomes (what agents reported, for score-feedback and reward)
 *     -> ledger -> ledger (what each lead cost, paid to its vendor, and earned, charged to its agent)
 *   match also sells posted leads (ping-post) -> leads.sold -> ledger (charged to their buyers)
 *     and buyer.purchases + buyer.returns -> buyer-returns -> buyer.return-decisions, ledger
 *   leads.valid + leads.rejected + assignments -> vendor-webhooks (status to vendors) -> vendors.notifications
 *   referrals + lead events -> reward-leads -> rewards.activity (by account) + community.events
 *     -> reward -> rewards (the ledger), agent.tiers (read by match and assign)
 *
 * The metrics sinks (funnel counters and latencies for /metrics, sinks/metrics) follow; with a
 * database, so do the sinks that keep its read models (see sinks/index.ts); with Neo4j
 * (NEO4J_URL), the graph sink (sinks/neo4j).
 *
 * `leadflow start` runs them as `topology` compiles them; replays run a stage on its own.
 */
const DAY_MS = 24 * 3_600_000;

/** A redelivered status event older than this may be sent again. */
const VENDOR_WEBHOOK_RETENTION_DAYS = 30;

export function topologyStages(
  settings: TopologySettings,
  sinks: { database?: Database; graph?: Graph } = {},
  ai: AiServices = {},
): Processor<never>[] {
  const { blind } = privacyKey(settings);
  const screen = { duplicateWindowDays: settings.LEADFLOW_DUPLICATE_WINDOW_DAYS, blind };
  return [
    eraseProcessor({ keepMs: dataRetention(retentionSettings(settings)).rawLeads * DAY_MS }),
    validateProcessor({ consentMaxAgeDays: settings.LEADFLOW_CONSENT_MAX_AGE_DAYS, blind }),
    phoneScreenProcessor(screen),
    emailScreenProcessor(screen),
    enrichProcessor({ consent: consentVerifierFrom(settings) }),
    scoreProcessor({ defaultModel: loadDefaultModel(), llm: ai.llm }),
    scoreFeedbackProcessor(),
    ...routingProcessors(settings),
    ledgerProcessor(),
    ...rewardProcessors(settings),
    vendorWebhooksProcessor({
      secret: settings.LEADFLOW_WEBHOOK_SECRET ?? null,
      retry: DEFAULT_DELIVERY,
      retentionDays: VENDOR_WEBHOOK_RETENTION_DAYS,
    }),
    ...(ai.vectors ? [vectorSinkProcessor(ai.vectors.index, ai.vectors.embedder)] : []),
    ...metricsSinks(platformCatalog(), {
      vendors: settings.LEADFLOW_METRICS_VENDOR_LABELS ?? DEFAULT_VENDOR_LABELS,
    }),
    ...(sinks.database ? postgresSinks(sinks.database) : []),
    ...(sinks.graph ? neo4jSinks(sinks.graph, blind) : []),
  ] as Processor<never>[];
}

/**
 * Stages that run fused, as one processor (runtime/fusion.ts): enrich, score and match read and
 * write by lead id, so a lead goes through the three in one task and one commit. leads.enriched
 * and leads.scored are still written (score-feedback, the sinks, metrics and replays read them).
 */
export const FUSED_STAGES = [{ name: 'enrich-score-match', stages: ['enrich', 'score', 'match'] }] as const;

/** The processors `leadflow start` runs: the stages, with FUSED_STAGES fused. */
export function topology(...args: Parameters<typeof topologyStages>): Processor<never>[] {
  return compileTopology(topologyStages(...args));
}

/** Replaces each group of FUSED_STAGES by its fused processor, where its first stage was. */
export function compileTopology(stages: readonly Processor<never>[]): Processor<never>[] {
  const catalog = platformCatalog();
  let compiled = [...stages];
  for (const group of FUSED_STAGES) {
    const members = group.stages.map((name) => compiled.find((stage) => stage.name === name)!);
    const at = compiled.indexOf(members[0]!);
    compiled = compiled.filter((stage) => !members.includes(stage));
    compiled.splice(at, 0, fuse(group.name, members, catalog));
  }
  return compiled;
}
