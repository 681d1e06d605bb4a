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

/**
 * Kept in memory, not in a changelogged store: after a restart it starts empty and fills with the
 * outcomes joined from then on. A lead counts once while it is in the window, because a task
 * rebuilt after a failed commit re-runs its uncommitted records and joins them again; a restart
 * forgets the lead with the window, so a re-run after it counts the lead once, in the new window.
 */
export class RollingEvaluation {
  private readonly leadIds: string[] = [];
  private readonly probabilities: number[] = [];
  private readonly labels: number[] = [];
  private readonly counted = new Set<string>();

  constructor(private readonly window = 1000) {}

  /** Adds a lead's outcome; false (and nothing changes) if the lead is in the window already. */
  add(leadId: string, probability: number, converted: boolean): boolean {
    if (this.counted.has(leadId)) return false;
    this.counted.add(leadId);
    this.leadIds.push(leadId);
    this.probabilities.push(probability);
    this.labels.push(converted ? 1 : 0);
    if (this.leadIds.length > this.window) {
      this.counted.delete(this.leadIds.shift()!);
      this.probabilities.shift();
      this.labels.shift();
    }
    return true;
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

export function recordOutcome(
  evaluation: RollingEvaluation,
  leadId: string,
  probability: number,
  converted: boolean,
): void {
  if (!evaluation.add(leadId, probability, converted)) return;
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
