import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { CleanupPolicy, TopicSpec } from '../../topic-spec';
import { UnknownTopicError } from '../../topic-spec';
import type { OutgoingRecord, RawRecord } from '../../records';
import { retry } from '../../retry';
import type { TopicChange, TopicInfo } from '../../transport';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL,
  cleanup TEXT NOT NULL,
  retention_ms INTEGER
);
CREATE TABLE IF NOT EXISTS partitions (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  key BLOB,
  value BLOB,
  headers TEXT,
  PRIMARY KEY (topic_id, partition, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_members (
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_owners (
  group_id TEXT NOT NULL,
  partition INTEGER NOT NULL,
  member_id TEXT,
  epoch INTEGER NOT NULL,
  PRIMARY KEY (group_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** A member lost ownership of a task to another member (or never had it): its commit is refused. */
export class FencedError extends Error {
  override name = 'FencedError';
}

interface TopicRow {
  id: number;
  name: string;
  partitions: number;
  cleanup: CleanupPolicy;
  retention_ms: number | null;
}

/** offset, ts, key, value, headers */
type RecordRow = [number, number, Buffer | null, Buffer | null, string | null];

const INSERT_ROWS = 64;

const topicsOf = (records: readonly OutgoingRecord[]) => new Set(records.map((r) => r.topic));

/** Tombstones in compacted topics are kept this long so slow readers still see the delete. */
const TOMBSTONE_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * better-sqlite3 waits for a lock synchronously, blocking the event loop, so waits are short:
 * a write that finds the log busy for longer is retried asynchronously (`retryWhileBusy`).
 */
const BUSY_TIMEOUT_MS = 100;

/** Retention deletes this many records per write transaction, then lets other writers in. */
const RETENTION_CHUNK = 1000;
const RETENTION_PAUSE_MS = 10;
/** Most records one retention pass removes per partition; the next pass goes on from there. */
const RETENTION_MAX_PER_PASS = 100_000;

/** Another connection holds the lock the statement needed, past the busy timeout. */
// By its code, not by `instanceof SqliteError`: the native addon keeps the SqliteError class of
// the first module instance that loaded it, so in a process that loads better-sqlite3 more than
// once (Jest's per-file registries) the errors are of another class and a busy log looked fatal.
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** Pauses that grow while the log stays busy, so waiters do not crowd a long lock holder. */
export const BUSY_BACKOFF = { baseDelayMs: 10, maxDelayMs: 1000 };

/** Runs a write, retrying it while the log is busy, for up to `timeoutMs`. */
export function retryWhileBusy<T>(write: () => T, timeoutMs = 10_000): Promise<T> {
  return retry(write, { ...BUSY_BACKOFF, attempts: Infinity, deadlineMs: timeoutMs, isRetryable: isBusy });
}

/**
 * The embedded log: Kafka's storage model (topics, partitions, offsets, consumer groups,
 * retention, compaction) in one SQLite file. Several processes may open the same file; SQLite's
 * write lock serialises commits, and ownership epochs fence a member that lost its task.
 */
export class EmbeddedLog {
  readonly db: Database.Database;
  /**
   * Emits 'append' with the set of topics written after records are committed, waking the
   * consumers of those topics in this process (other processes find them by polling).
   */
  readonly events = new EventEmitter();
  private readonly topicCache = new Map<string, TopicRow>();
  private readonly stmt;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // WAL lets readers in other processes run while one writes; NORMAL sync is durable across a
    // process crash (kill -9), which is the failure the exactly-once contract is about.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Opening runs once, before anything else can wait on this process: it may wait long.
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 268435456');
    this.db.exec(SCHEMA);
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.events.setMaxListeners(0);
    const db = this.db;
    this.stmt = {
      topicByName: db.prepare<[string], TopicRow>('SELECT * FROM topics WHERE name = ?'),
      allTopics: db.prepare<[], TopicRow>('SELECT * FROM topics ORDER BY name'),
      insertTopic: db.prepare(
        'INSERT INTO topics (name, partitions, cleanup, retention_ms) VALUES (?, ?, ?, ?)',
      ),
      updateTopic: db.prepare('UPDATE topics SET partitions = ?, cleanup = ?, retention_ms = ? WHERE id = ?'),
      insertPartition: db.prepare('INSERT OR IGNORE INTO partitions (topic_id, partition) VALUES (?, ?)'),
      nextOffset: db.prepare<[number, number], { next_offset: number }>(
        'SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?',
      ),
      setNextOffset: db.prepare('UPDATE partitions SET next_offset = ? WHERE topic_id = ? AND partition = ?'),
      endOffsets: db.prepare<[number], { partition: number; next_offset: number }>(
        'SELECT partition, next_offset FROM partitions WHERE topic_id = ? ORDER BY partition',
      ),
      insertRecord: db.prepare(
        'INSERT INTO records (topic_id, partition, offset, ts, key, value, headers) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // Many rows per statement: per-call overhead, not SQLite, dominates single-row inserts.
      insertRecords: db.prepare(
        `INSERT INTO records (topic_id, partition, offset, ts, key, value, headers) VALUES ${Array(INSERT_ROWS).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      ),
      // Raw (array) rows: fetch is the hottest read, and arrays are cheaper to build than objects.
      fetch: db
        .prepare<[number, number, number, number], RecordRow>(
          'SELECT offset, ts, key, value, headers FROM records WHERE topic_id = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?',
        )
        .raw(true),
      offsetForTime: db.prepare<[number, number, number], { offset: number | null }>(
        'SELECT MIN(offset) AS offset FROM records WHERE topic_id = ? AND partition = ? AND ts >= ?',
      ),
      committed: db.prepare<[string, number, number], { next_offset: number }>(
        'SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic_id = ? AND partition = ?',
      ),
      commitOffset: db.prepare(
        'INSERT INTO group_offsets (group_id, topic_id, partition, next_offset) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic_id, partition) DO UPDATE SET next_offset = excluded.next_offset',
      ),
      heartbeat: db.prepare(
        'INSERT INTO group_members (group_id, member_id, heartbeat_at) VALUES (?, ?, ?) ' +
          'ON CONFLICT (group_id, member_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at',
      ),
      leave: db.prepare('DELETE FROM group_members WHERE group_id = ? AND member_id = ?'),
      members: db.prepare<[string, number], { member_id: string }>(
        'SELECT member_id FROM group_members WHERE group_id = ? AND heartbeat_at >= ? ORDER BY member_id',
      ),
      anyMembers: db.prepare<[string, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM group_members WHERE group_id = ? AND heartbeat_at >= ?',
      ),
      owner: db.prepare<[string, number], { member_id: string | null; epoch: number }>(
        'SELECT member_id, epoch FROM task_owners WHERE group_id = ? AND partition = ?',
      ),
      setOwner: db.prepare(
        'INSERT INTO task_owners (group_id, partition, member_id, epoch) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, partition) DO UPDATE SET member_id = excluded.member_id, epoch = excluded.epoch',
      ),
      release: db.prepare(
        'UPDATE task_owners SET member_id = NULL WHERE group_id = ? AND partition = ? AND member_id = ?',
      ),
      takeLease: db.prepare(
        'INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3 + ?4) ' +
          'ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at ' +
          'WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3',
      ),
      // Finding what retention removes is a read, which holds no lock that writers wait for.
      expired: db
        .prepare<[number, number, number, number], [number]>(
          'SELECT offset FROM records WHERE topic_id = ? AND partition = ? AND ts < ? ORDER BY offset LIMIT ?',
        )
        .raw(true),
      superseded: db
        .prepare<{ 1: number; 2: number; 3: number; 4: number }, [number]>(
          `SELECT offset FROM (
             SELECT offset, value, ts, ROW_NUMBER() OVER (PARTITION BY key ORDER BY offset DESC) AS newer
             FROM records WHERE topic_id = ?1 AND partition = ?2)
           WHERE newer > 1 OR (value IS NULL AND ts < ?3)
           ORDER BY offset LIMIT ?4`,
        )
        .raw(true),
      deleteOffsets: db.prepare(
        'DELETE FROM records WHERE topic_id = ? AND partition = ? AND offset IN (SELECT value FROM json_each(?))',
      ),
    };
  }

  close(): void {
    this.db.close();
  }

  // ---- topics -------------------------------------------------------------------------------

  topic(name: string): TopicRow {
    let row = this.topicCache.get(name);
    if (!row) {
      row = this.stmt.topicByName.get(name);
      if (!row) throw new UnknownTopicError(name);
      this.topicCache.set(name, row);
    }
    return row;
  }

  applyTopic(spec: TopicSpec): TopicChange {
    return this.db
      .transaction((): TopicChange => {
        const existing = this.stmt.topicByName.get(spec.name);
        if (!existing) {
          const { lastInsertRowid } = this.stmt.insertTopic.run(
            spec.name,
            spec.partitions,
            spec.cleanup,
            spec.retentionMs,
          );
          for (let p = 0; p < spec.partitions; p++) this.stmt.insertPartition.run(lastInsertRowid, p);
          return { topic: spec.name, action: 'created' };
        }
        const changes: string[] = [];
        if (spec.partitions < existing.partitions) {
          throw new Error(
            `topic ${spec.name} has ${existing.partitions} partitions; shrinking to ${spec.partitions} is not possible`,
          );
        }
        if (spec.partitions > existing.partitions)
          changes.push(`partitions ${existing.partitions} -> ${spec.partitions}`);
        if (spec.cleanup !== existing.cleanup) changes.push(`cleanup ${existing.cleanup} -> ${spec.cleanup}`);
        if (spec.retentionMs !== existing.retention_ms)
          changes.push(`retention ${existing.retention_ms} -> ${spec.retentionMs}`);
        if (changes.length === 0) return { topic: spec.name, action: 'unchanged' };
        this.stmt.updateTopic.run(spec.partitions, spec.cleanup, spec.retentionMs, existing.id);
        for (let p = existing.partitions; p < spec.partitions; p++)
          this.stmt.insertPartition.run(existing.id, p);
        this.topicCache.delete(spec.name);
        return { topic: spec.name, action: 'updated', detail: changes.join(', ') };
      })
      .immediate();
  }

  describe(names?: readonly string[]): TopicInfo[] {
    const rows = names ? names.map((n) => this.topic(n)) : this.stmt.allTopics.all();
    return rows.map((row) => ({
      name: row.name,
      partitions: row.partitions,
      cleanup: row.cleanup,
      retentionMs: row.retention_ms,
      endOffsets: this.stmt.endOffsets.all(row.id).map((r) => r.next_offset),
    }));
  }

  // ---- records ------------------------------------------------------------------------------

  /** Appends records; call inside a transaction that also holds whatever must commit with them. */
  appendInTransaction(records: readonly OutgoingRecord[]): void {
    const next = new Map<string, { topicId: number; partition: number; offset: number }>();
    const rows: unknown[] = [];
    for (const record of records) {
      const topic = this.topic(record.topic);
      if (record.partition < 0 || record.partition >= topic.partitions) {
        throw new Error(`topic ${record.topic} has no partition ${record.partition}`);
      }
      const slot = `${topic.id}:${record.partition}`;
      let cursor = next.get(slot);
      if (!cursor) {
        const row = this.stmt.nextOffset.get(topic.id, record.partition);
        cursor = { topicId: topic.id, partition: record.partition, offset: row?.next_offset ?? 0 };
        next.set(slot, cursor);
      }
      rows.push(
        topic.id,
        record.partition,
        cursor.offset++,
        record.timestamp,
        record.key,
        record.value,
        Object.keys(record.headers).length > 0 ? JSON.stringify(record.headers) : null,
      );
      if (rows.length === INSERT_ROWS * 7) {
        this.stmt.insertRecords.run(rows);
        rows.length = 0;
      }
    }
    for (let i = 0; i < rows.length; i += 7) this.stmt.insertRecord.run(rows.slice(i, i + 7));
    for (const cursor of next.values())
      this.stmt.setNextOffset.run(cursor.offset, cursor.topicId, cursor.partition);
  }

  append(records: readonly OutgoingRecord[]): void {
    if (records.length === 0) return;
    this.db.transaction(() => this.appendInTransaction(records)).immediate();
    this.events.emit('append', topicsOf(records));
  }

  fetch(topic: string, partition: number, from: number, limit: number): RawRecord[] {
    const row = this.topic(topic);
    const rows = this.stmt.fetch.all(row.id, partition, from, limit) as unknown as RecordRow[];
    return rows.map(([offset, timestamp, key, value, headers]) => ({
      topic,
      partition,
      offset,
      timestamp,
      key,
      value,
      headers: headers ? (JSON.parse(headers) as Record<string, string>) : {},
    }));
  }

  /**
   * `fetch` and the partition's end offset read in one snapshot, so an empty fetch proves that
   * the offsets below `end` were removed (retention, compaction), not that they were committed
   * by another process after the fetch.
   */
  fetchWithEnd(
    topic: string,
    partition: number,
    from: number,
    limit: number,
  ): { records: RawRecord[]; end: number } {
    return this.db
      .transaction(() => ({
        records: this.fetch(topic, partition, from, limit),
        end: this.endOffset(topic, partition),
      }))
      .deferred();
  }

  endOffset(topic: string, partition: number): number {
    return this.stmt.nextOffset.get(this.topic(topic).id, partition)?.next_offset ?? 0;
  }

  offsetForTimestamp(topic: string, partition: number, ts: number): number {
    const found = this.stmt.offsetForTime.get(this.topic(topic).id, partition, ts)?.offset;
    return found ?? this.endOffset(topic, partition);
  }

  // ---- consumer groups ----------------------------------------------------------------------

  committed(group: string, topic: string, partition: number): number | undefined {
    return this.stmt.committed.get(group, this.topic(topic).id, partition)?.next_offset;
  }

  commitOffsetsInTransaction(
    group: string,
    offsets: readonly { topic: string; partition: number; offset: number }[],
  ): void {
    for (const o of offsets) this.stmt.commitOffset.run(group, this.topic(o.topic).id, o.partition, o.offset);
  }

  heartbeat(group: string, member: string, now: number): void {
    this.stmt.heartbeat.run(group, member, now);
  }

  leave(group: string, member: string): void {
    this.stmt.leave.run(group, member);
  }

  liveMembers(group: string, now: number, sessionTimeoutMs: number): string[] {
    return this.stmt.members.all(group, now - sessionTimeoutMs).map((r) => r.member_id);
  }

  hasLiveMembers(group: string, now: number, sessionTimeoutMs: number): boolean {
    return (this.stmt.anyMembers.get(group, now - sessionTimeoutMs)?.n ?? 0) > 0;
  }

  /**
   * Takes ownership of a task if it is free, already ours, or held by a member that is no longer
   * live. Returns the new epoch, or null when a live member still holds it.
   */
  claim(group: string, partition: number, member: string, live: ReadonlySet<string>): number | null {
    return this.db
      .transaction((): number | null => {
        const current = this.stmt.owner.get(group, partition);
        if (current?.member_id && current.member_id !== member && live.has(current.member_id)) return null;
        const epoch = (current?.epoch ?? 0) + 1;
        this.stmt.setOwner.run(group, partition, member, epoch);
        return epoch;
      })
      .immediate();
  }

  release(group: string, partition: number, member: string): void {
    this.stmt.release.run(group, partition, member);
  }

  assertOwnerInTransaction(group: string, partition: number, member: string, epoch: number): void {
    const current = this.stmt.owner.get(group, partition);
    if (current?.member_id !== member || current.epoch !== epoch) {
      throw new FencedError(
        `member ${member} no longer owns task ${partition} of ${group} (epoch ${epoch}, now ${current?.member_id ?? 'none'}@${current?.epoch ?? 0})`,
      );
    }
  }

  /** Commits a processing step: outputs, changelog and offsets, or nothing if the member was fenced. */
  commitStep(
    group: string,
    owner: { partition: number; member: string; epoch: number },
    records: readonly OutgoingRecord[],
    offsets: readonly { topic: string; partition: number; offset: number }[],
  ): void {
    this.db
      .transaction(() => {
        this.assertOwnerInTransaction(group, owner.partition, owner.member, owner.epoch);
        this.appendInTransaction(records);
        this.commitOffsetsInTransaction(group, offsets);
      })
      .immediate();
    if (records.length > 0) this.events.emit('append', topicsOf(records));
  }

  // ---- retention ----------------------------------------------------------------------------

  /**
   * Takes or renews the lease `name` for `ttlMs`; false while another holder's lease is current.
   * Lets one of the processes sharing the file do work that needs doing once.
   */
  takeLease(name: string, holder: string, now: number, ttlMs: number): boolean {
    // Numbered parameters (?3, used twice) bind by name in better-sqlite3, not by position.
    return this.stmt.takeLease.run({ 1: name, 2: holder, 3: now, 4: ttlMs }).changes === 1;
  }

  /**
   * Drops records past retention and older versions of keys in compacted topics, in short write
   * transactions with pauses between them, so other writers never wait long for the lock.
   * Stops early when `signal` aborts.
   */
  async enforceRetention(now: number, signal?: AbortSignal): Promise<{ deleted: number }> {
    let deleted = 0;
    for (const topic of this.stmt.allTopics.all()) {
      for (let p = 0; p < topic.partitions && !signal?.aborted; p++) {
        const offsets = this.removable(topic, p, now);
        for (let i = 0; i < offsets.length && !signal?.aborted; i += RETENTION_CHUNK) {
          const chunk = JSON.stringify(offsets.slice(i, i + RETENTION_CHUNK));
          deleted += (await retryWhileBusy(() => this.stmt.deleteOffsets.run(topic.id, p, chunk))).changes;
          await sleep(RETENTION_PAUSE_MS);
        }
      }
    }
    return { deleted };
  }

  /**
   * Offsets retention may remove from a partition, in order. They stay removable whatever is
   * appended after this read: a superseded version stays superseded, an expired record stays
   * expired.
   */
  private removable(topic: TopicRow, partition: number, now: number): number[] {
    const superseded =
      topic.cleanup === 'delete'
        ? []
        : this.stmt.superseded.all({
            1: topic.id,
            2: partition,
            3: now - TOMBSTONE_RETENTION_MS,
            4: RETENTION_MAX_PER_PASS,
          });
    // As on Kafka, a compacted topic with no delete in its policy ignores retention.
    const expired =
      topic.cleanup === 'compact' || topic.retention_ms === null
        ? []
        : this.stmt.expired.all(topic.id, partition, now - topic.retention_ms, RETENTION_MAX_PER_PASS);
    const offsets = new Set([...superseded, ...expired].map(([offset]) => offset));
    return [...offsets].sort((a, b) => a - b);
  }
}
