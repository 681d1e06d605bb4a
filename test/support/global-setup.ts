import { startMissingServices } from './containers';
import { TEST_PRIVACY_KEY } from './privacy';

/**
 * Services first; then the privacy master key every process of a test (the test's own, and the
 * CLI processes it starts) reads personal fields with, as a deployment's processes share one.
 */
export default async function globalSetup(): Promise<void> {
  process.env.LEADFLOW_PRIVACY_KEY ??= TEST_PRIVACY_KEY;
  await startMissingServices();
}
