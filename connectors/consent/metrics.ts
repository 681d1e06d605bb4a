import client from 'prom-client';
import { registry } from '../../runtime/metrics';

/** Consent checks. Labels are bounded: three provider values, five verdicts and `hold`. */
export const consentMetrics = {
  checks: new client.Counter({
    name: 'leadflow_consent_checks_total',
    help: 'Consent certificate checks by provider and result (a verdict, or hold when the lead waits for the provider).',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  }),
  latency: new client.Histogram({
    name: 'leadflow_consent_provider_seconds',
    help: 'Time per certificate check at the provider, retries and backoff included.',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
    registers: [registry],
  }),
  circuitOpen: new client.Gauge({
    name: 'leadflow_consent_circuit_open',
    help: '1 while the circuit breaker refuses calls to a consent provider (its leads follow the outage policy).',
    labelNames: ['provider'] as const,
    registers: [registry],
  }),
};
