import { spawnSync } from 'node:child_process';
import { inCI } from '../support/services';

/**
 * Whether a Debian-packaged tool (prometheus, chromium) can run here. Missing outside CI, its
 * tests are skipped; missing in CI, they run and fail with how to install it.
 */
export function toolGate(
  binary: string,
  aptPackage = binary,
): { path?: string; run: boolean; reason?: string } {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return { path: found, run: true };
  return {
    run: inCI,
    reason: `${binary} is not installed: apt-get install -y ${aptPackage} (.ci/run installs it)`,
  };
}
