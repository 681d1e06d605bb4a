/**
 * The LLM path with its floor: cache first, then the circuit breaker, then the endpoint. It never
 * throws; every failure becomes an insight with `used: false` and an error code, so the caller
 * keeps its local result and moves on.
 */
import type { Logger } from 'pino';
import type { EnrichedLead } from '../../schemas/lead';
import { CircuitBreaker } from './breaker';
import { type AnswerCache, contentKey } from './cache';
import { LlmClient, type LlmClientOptions, LlmError } from './client';
import { PROMPT_VERSION, promptFacts } from './insights';
import {
  type LeadEnricher,
  type LeadInsights,
  leadInsightsSchema,
  type LlmEnrichment,
  type LocalView,
} from '../../schemas/lead-insights';
import { llmMetrics } from './metrics';
import { costUsd, type Price, priceOf } from './pricing';

export interface LlmEnricherOptions {
  client: LlmClient;
  cache: AnswerCache;
  breaker: CircuitBreaker;
  price: Price;
  log: Logger;
  now?: () => number;
}

export class LlmEnricher implements LeadEnricher {
  private readonly now: () => number;

  constructor(private readonly options: LlmEnricherOptions) {
    this.now = options.now ?? Date.now;
  }

  get model(): string {
    return this.options.client.options.model;
  }

  async enrich(enriched: EnrichedLead, local: LocalView): Promise<LlmEnrichment> {
    const started = this.now();
    const model = this.model;
    const facts = promptFacts(enriched, local);
    const key = contentKey(model, PROMPT_VERSION, JSON.stringify(facts));

    const hit = await this.options.cache.get(key);
    const cachedAnswer = hit === undefined ? undefined : leadInsightsSchema.safeParse(safeJson(hit));
    if (cachedAnswer?.success) {
      llmMetrics.requests.inc({ model, outcome: 'cached' });
      llmMetrics.costPerLead.observe({ model }, 0);
      return this.result(cachedAnswer.data, { cached: true, promptTokens: 0, completionTokens: 0, started });
    }

    if (!this.options.breaker.tryAcquire()) {
      llmMetrics.circuitOpen.set({ model }, 1);
      return this.failure('circuit_open', started);
    }
    try {
      const { insights, usage } = await this.options.client.insights(facts);
      this.options.breaker.recordSuccess();
      llmMetrics.circuitOpen.set({ model }, 0);
      await this.options.cache.set(key, JSON.stringify(insights));
      const result = this.result(insights, { cached: false, ...usage, started });
      llmMetrics.requests.inc({ model, outcome: 'ok' });
      llmMetrics.tokens.inc({ model, kind: 'prompt' }, usage.promptTokens);
      llmMetrics.tokens.inc({ model, kind: 'completion' }, usage.completionTokens);
      llmMetrics.costUsd.inc({ model }, result.insight.costUsd);
      llmMetrics.costPerLead.observe({ model }, result.insight.costUsd);
      llmMetrics.latency.observe({ model }, result.insight.latencyMs / 1000);
      return result;
    } catch (error) {
      this.options.breaker.recordFailure();
      if (this.options.breaker.state !== 'closed') llmMetrics.circuitOpen.set({ model }, 1);
      const code = error instanceof LlmError ? error.code : 'unavailable';
      // The message names the failure, never the lead: prompts carry no contact details, but logs
      // should not carry prompts either.
      this.options.log.warn(
        { model, code, err: (error as Error).message, leadId: enriched.leadId },
        'LLM insight failed',
      );
      return this.failure(code, started);
    }
  }

  private result(
    answer: LeadInsights,
    usage: { cached: boolean; promptTokens: number; completionTokens: number; started: number },
  ): LlmEnrichment {
    const extracted: Record<string, string> = {};
    for (const [field, value] of Object.entries(answer.extracted)) {
      if (value !== null) extracted[field] = String(value);
    }
    return {
      answer,
      insight: {
        used: true,
        model: this.model,
        cached: usage.cached,
        explanation: answer.explanation,
        extracted,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        costUsd: costUsd(this.options.price, usage.promptTokens, usage.completionTokens),
        latencyMs: Math.max(0, this.now() - usage.started),
        error: null,
      },
    };
  }

  private failure(code: LlmError['code'], started: number): LlmEnrichment {
    llmMetrics.requests.inc({ model: this.model, outcome: code });
    llmMetrics.costPerLead.observe({ model: this.model }, 0);
    return {
      answer: null,
      insight: {
        used: false,
        model: this.model,
        cached: false,
        explanation: null,
        extracted: {},
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        latencyMs: Math.max(0, this.now() - started),
        error: code,
      },
    };
  }

  async close(): Promise<void> {
    await this.options.cache.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface LlmSettings {
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  OPENAI_MODEL?: string;
  OPENAI_EMBEDDING_MODEL: string;
  REDIS_URL?: string;
  LEADFLOW_LLM_TIMEOUT_MS: number;
  LEADFLOW_LLM_USD_PER_MTOK_INPUT?: number;
  LEADFLOW_LLM_USD_PER_MTOK_OUTPUT?: number;
}

/** The LLM client options when an endpoint is configured (base URL and model), else null. */
export function llmClientOptions(settings: LlmSettings): LlmClientOptions | null {
  if (!settings.OPENAI_BASE_URL || !settings.OPENAI_MODEL) return null;
  return {
    baseUrl: settings.OPENAI_BASE_URL,
    apiKey: settings.OPENAI_API_KEY,
    model: settings.OPENAI_MODEL,
    embeddingModel: settings.OPENAI_EMBEDDING_MODEL,
    timeoutMs: settings.LEADFLOW_LLM_TIMEOUT_MS,
    budgetMs: settings.LEADFLOW_LLM_TIMEOUT_MS * 3,
    maxRetries: 2,
  };
}

/** The enricher for a configured endpoint, or null when none is configured. */
export function createLlmEnricher(
  settings: LlmSettings,
  cache: AnswerCache,
  log: Logger,
): LlmEnricher | null {
  const options = llmClientOptions(settings);
  if (!options) return null;
  return new LlmEnricher({
    client: new LlmClient(options),
    cache,
    breaker: new CircuitBreaker({ failureThreshold: 5, cooldownMs: 30_000 }),
    price: priceOf(options.model, {
      input: settings.LEADFLOW_LLM_USD_PER_MTOK_INPUT,
      output: settings.LEADFLOW_LLM_USD_PER_MTOK_OUTPUT,
    }),
    log,
  });
}
