/**
 * `leadflow ingest` streams: a file four times larger does not need more memory. Measured from
 * outside, on the child process's anonymous resident memory (heap, buffers, native allocations):
 * the embedded log also maps its SQLite file into memory (up to 256 MiB), which counts as
 * resident but is file-backed page cache that grows with the log, not with what ingest holds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toNdjson } from '../../connectors/files/format';
import { generateLeads } from '../../tools/generator/generate';
import { runMeasured, spawnCli } from '../support/cli';

jest.setTimeout(900_000);

const MiB = 1024 * 1024;
const linux = process.platform === 'linux';

function writeFile(file: string, bytes: number, chunk: string): void {
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < bytes; written += Buffer.byteLength(chunk)) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

/** Runs `leadflow ingest` on a fresh embedded log; the peak anonymous RSS seen while it ran. */
async function ingest(
  file: string,
  dataDir: string,
): Promise<{ peakAnon: number; summary: { accepted: number } }> {
  // A heap cap well below the larger file: an ingest that held the file would fail, not just grow.
  const child = spawnCli(['ingest', file, '--vendor', 'acme', '--json'], {
    LEADFLOW_DATA_DIR: dataDir,
    NODE_OPTIONS: '--max-old-space-size=160',
  });
  const { code, stdout, stderr, peakAnon } = await runMeasured(child);
  if (code !== 0) throw new Error(`ingest failed (${String(code)}): ${stderr}`);
  return { peakAnon, summary: JSON.parse(stdout) as { accepted: number } };
}

(linux ? test : test.skip)(
  'ingest memory does not grow with the file: 32 MiB and 128 MiB files',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-streaming-'));
    try {
      const chunk = toNdjson(generateLeads({ count: 1000, seed: 'streaming', badShare: 0.1 }).leads);
      const small = path.join(dir, 'small.ndjson');
      const large = path.join(dir, 'large.ndjson');
      writeFile(small, 32 * MiB, chunk);
      writeFile(large, 128 * MiB, chunk);
      const first = await ingest(small, path.join(dir, 'small-log'));
      const second = await ingest(large, path.join(dir, 'large-log'));
      expect(second.summary.accepted).toBeGreaterThan(3.5 * first.summary.accepted);
      // Holding the file (or the leads made from it) would add several hundred MiB here; what
      // varies between runs is when V8 collects, not what ingest keeps.
      expect(second.peakAnon - first.peakAnon).toBeLessThan(96 * MiB);
      expect(second.peakAnon).toBeLessThan(400 * MiB);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
