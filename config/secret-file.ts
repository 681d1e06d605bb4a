import fs from 'node:fs';
import path from 'node:path';

/**
 * A secret kept in a file of the data dir, created once with `create` (readable by its owner
 * only) and read back ever after: for development on the embedded transport, where one data dir
 * on one machine is the whole deployment. Processes racing to create it all read the winner's.
 */
export function secretFileInDataDir(dataDir: string, name: string, create: () => string): string {
  const file = path.join(dataDir, name);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, create(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}
