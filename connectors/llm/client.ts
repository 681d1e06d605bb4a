/**
 * The OpenAI-compatible endpoint, through the openai SDK (any base URL: OpenAI, Azure-style
 * gateways, vLLM, Ollama, LiteLLM, ...). Each request is bounded twice: per attempt by `timeoutMs`
 * and in total by `budgetMs`; the SDK retries timeouts, 429s and 5xx with exponential backoff and
 * jitter (honouring Retry-After) within that budget. Failures come out as `LlmError` with a code.
 */
import OpenAI from 'openai';
import type { LlmOutcome } from './metrics';
import { leadInsightsJsonSchema, SYSTEM_PROMPT, TOOL_NAME } from './insights';
import { type LeadInsights, leadInsightsSchema } from '../../schemas/lead-insights';

export interface LlmClientOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  embeddingModel: string;
  /** Per attempt. */
  timeoutMs: number;
  /** All attempts together, backoff included. */
  budgetMs: number;
  maxRetries: number;
}

export type LlmFailure = Exclude<LlmOutcome, 'ok' | 'cached'>;

export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    readonly code: LlmFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export class LlmClient {
  private readonly openai: OpenAI;

  constructor(readonly options: LlmClientOptions) {
    this.openai = new OpenAI({
      baseURL: options.baseUrl,
      // Local OpenAI-compatible servers accept any key; the SDK insists on one.
      apiKey: options.apiKey ?? 'not-needed',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
  }

  /** One tool call with the insights for the facts given; throws LlmError. */
  async insights(facts: Record<string, unknown>): Promise<{ insights: LeadInsights; usage: Usage }> {
    const completion = await this.call(() =>
      this.openai.chat.completions.create(
        {
          model: this.options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: JSON.stringify(facts) },
          ],
          tools: [
            {
              type: 'function',
              function: {
                name: TOOL_NAME,
                description: 'Records the qualification of one insurance lead.',
                parameters: leadInsightsJsonSchema,
              },
            },
          ],
          tool_choice: { type: 'function', function: { name: TOOL_NAME } },
        },
        { signal: AbortSignal.timeout(this.options.budgetMs) },
      ),
    );
    const call = completion.choices[0]?.message.tool_calls?.find(
      (c) => c.type === 'function' && c.function.name === TOOL_NAME,
    );
    if (!call || call.type !== 'function') {
      throw new LlmError('invalid_answer', `the answer has no ${TOOL_NAME} tool call`);
    }
    let args: unknown;
    try {
      args = JSON.parse(call.function.arguments);
    } catch {
      throw new LlmError('invalid_answer', 'the tool call arguments are not JSON');
    }
    const parsed = leadInsightsSchema.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new LlmError('invalid_answer', `tool call field ${issue.path.join('.')}: ${issue.message}`);
    }
    return {
      insights: parsed.data,
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
      },
    };
  }

  /** Embedding vectors, one per text, in order; throws LlmError. */
  async embed(texts: string[]): Promise<{ vectors: number[][]; tokens: number }> {
    const response = await this.call(() =>
      this.openai.embeddings.create(
        { model: this.options.embeddingModel, input: texts, encoding_format: 'float' },
        { signal: AbortSignal.timeout(this.options.budgetMs) },
      ),
    );
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    if (vectors.length !== texts.length || vectors.some((v) => !Array.isArray(v) || v.length === 0)) {
      throw new LlmError('invalid_answer', `expected ${texts.length} embeddings, got ${vectors.length}`);
    }
    return { vectors, tokens: response.usage?.prompt_tokens ?? 0 };
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toLlmError(error);
    }
  }
}

function toLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof OpenAI.APIUserAbortError) {
    return new LlmError('timeout', 'the LLM did not answer in time');
  }
  if (error instanceof OpenAI.RateLimitError)
    return new LlmError('rate_limited', 'the LLM endpoint is rate limiting (429)');
  if (error instanceof OpenAI.APIError) {
    return new LlmError('unavailable', `the LLM endpoint failed${error.status ? ` (${error.status})` : ''}`);
  }
  if (error instanceof SyntaxError) return new LlmError('invalid_answer', 'the LLM answer is not JSON');
  return new LlmError('unavailable', `LLM call failed: ${(error as Error)?.message ?? String(error)}`);
}
