import client from 'prom-client';
import { registry } from '../../runtime/metrics';

/**
 * LLM usage and cost. Labels are bounded: outcomes and token kinds are fixed lists; the model
 * name comes from configuration, one per process.
 */
export const LLM_OUTCOMES = [
  'ok',
  'cached',
  'timeout',
  'rate_limited',
  'invalid_answer',
  'unavailable',
  'circuit_open',
] as const;
export type LlmOutcome = (typeof LLM_OUTCOMES)[number];

export const llmMetrics = {
  requests: new client.Counter({
    name: 'leadflow_llm_requests_total',
    help: 'LLM insight requests by outcome (cached answers spend no tokens).',
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  }),
  tokens: new client.Counter({
    name: 'leadflow_llm_tokens_total',
    help: 'Tokens spent on LLM calls, by kind (prompt, completion, embedding).',
    labelNames: ['model', 'kind'] as const,
    registers: [registry],
  }),
  costUsd: new client.Counter({
    name: 'leadflow_llm_cost_usd_total',
    help: 'Estimated LLM spend in USD.',
    labelNames: ['model'] as const,
    registers: [registry],
  }),
  costPerLead: new client.Histogram({
    name: 'leadflow_llm_cost_per_lead_usd',
    help: 'Estimated LLM spend per scored lead in USD (cache hits count as zero).',
    labelNames: ['model'] as const,
    buckets: [0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1],
    registers: [registry],
  }),
  latency: new client.Histogram({
    name: 'leadflow_llm_latency_seconds',
    help: 'Time per LLM insight request, retries included.',
    labelNames: ['model'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  }),
  circuitOpen: new client.Gauge({
    name: 'leadflow_llm_circuit_open',
    help: '1 while the LLM circuit breaker refuses calls (leads are scored by the local model only).',
    labelNames: ['model'] as const,
    registers: [registry],
  }),
};
