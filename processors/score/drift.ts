import client from 'prom-client';
import { auc } from '../../models/metrics';
import { registry } from '../../runtime/metrics';

/**
 * How the live model does on leads whose outcome is now known: AUC and calibration gap over the
 * most recent labelled leads. A falling AUC or a growing gap says the model has drifted from the
 * leads it sees and is due for `leadflow model train --from-topic`.
 */
export interface DriftSnapshot {
  labelled: number;
  auc: number;
  /** Mean predicted probability minus the observed conversion rate (positive: too optimistic). */
  calibrationGap: number;
}

export class RollingEvaluation {
  private readonly probabilities: number[] = [];
  private readonly labels: number[] = [];

  constructor(private readonly window = 1000) {}

  add(probability: number, converted: boolean): void {
    this.probabilities.push(probability);
    this.labels.push(converted ? 1 : 0);
    if (this.probabilities.length > this.window) {
      this.probabilities.shift();
      this.labels.shift();
    }
  }

  snapshot(): DriftSnapshot | null {
    const n = this.probabilities.length;
    if (n === 0) return null;
    const meanPredicted = this.probabilities.reduce((a, b) => a + b, 0) / n;
    const observed = this.labels.reduce((a, b) => a + b, 0) / n;
    return {
      labelled: n,
      auc: auc(this.probabilities, this.labels),
      calibrationGap: meanPredicted - observed,
    };
  }
}

/**
 * The evaluation the gauges show: the one that saw the latest outcome. The gauges compute it when
 * Prometheus scrapes, not per outcome, because an AUC sorts the whole window (computing it for
 * every outcome took a tenth of the pipeline's CPU in `bench pipeline`).
 */
let reported: RollingEvaluation | undefined;

export function recordOutcome(evaluation: RollingEvaluation, probability: number, converted: boolean): void {
  evaluation.add(probability, converted);
  reported = evaluation;
  driftMetrics.outcomes.inc({ outcome: converted ? 'sold' : 'lost' });
}

export const driftMetrics = {
  outcomes: new client.Counter({
    name: 'leadflow_model_outcomes_total',
    help: 'Scored leads that reached a final outcome, by outcome (sold or lost).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  auc: new client.Gauge({
    name: 'leadflow_model_live_auc',
    help: 'AUC of the live scores over the most recent labelled leads (NaN until both outcomes occur).',
    registers: [registry],
    collect() {
      const snapshot = reported?.snapshot();
      if (snapshot) this.set(snapshot.auc);
    },
  }),
  calibrationGap: new client.Gauge({
    name: 'leadflow_model_live_calibration_gap',
    help: 'Mean predicted conversion minus observed conversion over the most recent labelled leads.',
    registers: [registry],
    collect() {
      const snapshot = reported?.snapshot();
      if (snapshot) this.set(snapshot.calibrationGap);
    },
  }),
};
