/** USD per million tokens, for the cost-per-lead metric. */
export interface Price {
  input: number;
  output: number;
}

/**
 * List prices of common OpenAI models (USD per 1M tokens). Other endpoints (self-hosted, other
 * vendors) cost what LEADFLOW_LLM_USD_PER_MTOK_INPUT/_OUTPUT say, else zero.
 */
const KNOWN: Record<string, Price> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
};

export function priceOf(model: string, override: Partial<Price> = {}): Price {
  const known = KNOWN[model] ?? { input: 0, output: 0 };
  return { input: override.input ?? known.input, output: override.output ?? known.output };
}

export function costUsd(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
