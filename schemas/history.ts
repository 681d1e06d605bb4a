import fs from 'node:fs';
import path from 'node:path';
import { type AvroSchema, checkBackward, fingerprint } from './avro';

/**
 * Every released version of every schema is kept under `schemas/history/<name>/v<N>.avsc`. The
 * current `schemas/<name>.avsc` must be able to read data written with each of them
 * (BACKWARD_TRANSITIVE), which is what consumers of a long-retention or compacted topic need.
 */
export interface HistoryProblem {
  schema: string;
  version?: number;
  problem: string;
}

export function currentSchemas(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.slice(0, -'.avsc'.length))
    .sort();
}

function readJson(file: string): AvroSchema {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as AvroSchema;
}

function versions(dir: string, name: string): { version: number; file: string }[] {
  const folder = path.join(dir, 'history', name);
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .map((f) => /^v(\d+)\.avsc$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), file: path.join(folder, m[0]) }))
    .sort((a, b) => a.version - b.version);
}

/** Problems with the schemas in `dir`: incompatible changes, unrecorded schemas, orphans. */
export function checkHistory(dir: string): HistoryProblem[] {
  const problems: HistoryProblem[] = [];
  const names = currentSchemas(dir);
  for (const name of names) {
    const current = readJson(path.join(dir, `${name}.avsc`));
    const history = versions(dir, name);
    if (history.length === 0) {
      problems.push({ schema: name, problem: 'no recorded version: run `leadflow schemas snapshot`' });
      continue;
    }
    for (const { version, file } of history) {
      const result = checkBackward(current, readJson(file));
      if (!result.compatible) {
        problems.push({
          schema: name,
          version,
          problem: `cannot read data written with v${version}: ${result.reason}`,
        });
      }
    }
  }
  const historyDir = path.join(dir, 'history');
  if (fs.existsSync(historyDir)) {
    for (const name of fs.readdirSync(historyDir)) {
      if (!names.includes(name))
        problems.push({ schema: name, problem: 'history exists but schemas/<name>.avsc is gone' });
    }
  }
  return problems;
}

/** Records the current version of every schema that changed since its last recorded version. */
export function snapshotHistory(dir: string): { schema: string; version: number }[] {
  const problems = checkHistory(dir).filter((p) => p.version !== undefined);
  if (problems.length > 0) {
    throw new Error(
      `refusing to record incompatible schemas:\n${problems.map((p) => `  ${p.schema}: ${p.problem}`).join('\n')}`,
    );
  }
  const recorded: { schema: string; version: number }[] = [];
  for (const name of currentSchemas(dir)) {
    const source = path.join(dir, `${name}.avsc`);
    const history = versions(dir, name);
    const latest = history.at(-1);
    if (latest && fingerprint(readJson(latest.file)) === fingerprint(readJson(source))) continue;
    const version = (latest?.version ?? 0) + 1;
    fs.mkdirSync(path.join(dir, 'history', name), { recursive: true });
    fs.copyFileSync(source, path.join(dir, 'history', name, `v${version}.avsc`));
    recorded.push({ schema: name, version });
  }
  return recorded;
}
