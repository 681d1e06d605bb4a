import { registry } from '../../runtime/metrics';
import { recordOutcome, RollingEvaluation } from './drift';

const gauge = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;

test('the rolling evaluation keeps the latest window and measures it', () => {
  const evaluation = new RollingEvaluation(4);
  expect(evaluation.snapshot()).toBeNull();
  // Pushed out of the window: a sale scored low would break the perfect ranking below.
  evaluation.add(0.01, true);
  for (const [probability, converted] of [
    [0.9, true],
    [0.8, true],
    [0.2, false],
    [0.1, false],
  ] as const)
    evaluation.add(probability, converted);
  const snapshot = evaluation.snapshot()!;
  expect(snapshot).toMatchObject({ labelled: 4, auc: 1 });
  expect(snapshot.calibrationGap).toBeCloseTo(0);
});

test('the gauges show the evaluation that saw the latest outcome when metrics are read', async () => {
  const first = new RollingEvaluation();
  recordOutcome(first, 0.9, false);
  recordOutcome(first, 0.1, true);
  expect(await gauge('leadflow_model_live_auc')).toBe(0);
  expect(await gauge('leadflow_model_live_calibration_gap')).toBeCloseTo(0);

  const second = new RollingEvaluation();
  recordOutcome(second, 0.7, true);
  recordOutcome(second, 0.3, false);
  recordOutcome(second, 0.2, false);
  expect(await gauge('leadflow_model_live_auc')).toBe(1);
  expect(await gauge('leadflow_model_live_calibration_gap')).toBeCloseTo(0.4 - 1 / 3);
});
