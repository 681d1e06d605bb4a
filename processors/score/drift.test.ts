import { registry } from '../../runtime/metrics';
import { recordOutcome, RollingEvaluation } from './drift';

const gauge = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;

test('the rolling evaluation keeps the latest window and measures it', () => {
  const evaluation = new RollingEvaluation(4);
  expect(evaluation.snapshot()).toBeNull();
  // Pushed out of the window: a sale scored low would break the perfect ranking below.
  evaluation.add('L0', 0.01, true);
  for (const [leadId, probability, converted] of [
    ['L1', 0.9, true],
    ['L2', 0.8, true],
    ['L3', 0.2, false],
    ['L4', 0.1, false],
  ] as const)
    evaluation.add(leadId, probability, converted);
  const snapshot = evaluation.snapshot()!;
  expect(snapshot).toMatchObject({ labelled: 4, auc: 1 });
  expect(snapshot.calibrationGap).toBeCloseTo(0);
});

test('a lead counts once while it is in the window, and again only after it has left it', () => {
  const evaluation = new RollingEvaluation(2);
  expect(evaluation.add('L1', 0.9, true)).toBe(true);
  // Joined again: a task rebuilt after a failed commit re-runs its uncommitted records.
  expect(evaluation.add('L1', 0.9, true)).toBe(false);
  expect(evaluation.snapshot()).toMatchObject({ labelled: 1 });
  evaluation.add('L2', 0.2, false);
  evaluation.add('L3', 0.3, false);
  expect(evaluation.add('L1', 0.9, true)).toBe(true);
  expect(evaluation.snapshot()).toMatchObject({ labelled: 2 });
});

test('the gauges show the evaluation that saw the latest outcome when metrics are read', async () => {
  const first = new RollingEvaluation();
  recordOutcome(first, 'L1', 0.9, false);
  recordOutcome(first, 'L2', 0.1, true);
  expect(await gauge('leadflow_model_live_auc')).toBe(0);
  expect(await gauge('leadflow_model_live_calibration_gap')).toBeCloseTo(0);

  const second = new RollingEvaluation();
  recordOutcome(second, 'L1', 0.7, true);
  recordOutcome(second, 'L2', 0.3, false);
  recordOutcome(second, 'L3', 0.2, false);
  expect(await gauge('leadflow_model_live_auc')).toBe(1);
  expect(await gauge('leadflow_model_live_calibration_gap')).toBeCloseTo(0.4 - 1 / 3);
});
