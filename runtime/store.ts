import BTree from 'sorted-btree';

/** A read-only view of a table; what processors and HTTP handlers get. */
export interface ReadOnlyTable<V> {
  get(key: string): V | undefined;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

/** A named key-value store owned by one partition of one processor. */
export interface KeyValueStore<V> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  delete(key: string): void;
  /** Entries with from <= key < to, in key order. Both bounds are optional. */
  range(from?: string, to?: string): IterableIterator<[string, V]>;
  /** Number of entries. */
  readonly size: number;
}

/** One entry of a store's changelog: the latest value of a key, or null when it was deleted. */
export interface ChangelogEntry {
  store: string;
  key: string;
  value: unknown | null;
}

const ABSENT = Symbol('absent');

/**
 * The in-memory image of one store of one task, rebuilt from its changelog on assignment.
 *
 * Writes go straight to the image; the store remembers (a) which keys changed since the last
 * commit, to write them to the changelog inside the commit, and (b) an undo log for the record
 * being processed, so a record that throws leaves no trace in state before it goes to the DLQ.
 */
export class TaskStore<V = unknown> implements KeyValueStore<V> {
  private readonly tree = new BTree<string, V>();
  private readonly dirty = new Set<string>();
  /**
   * Dirty keys absent at the last commit: deleted again before the next one, they need no
   * tombstone, since the changelog holds no value for them (a timer set and cancelled in one
   * commit interval, as most offer timers are).
   */
  private readonly newSinceCommit = new Set<string>();
  private undo: [string, V | typeof ABSENT][] = [];

  /**
   * `changelogged: false` makes an index the task rebuilds from other state: its writes are undone
   * with the record's like any store's, but it has no pending changes to log.
   */
  constructor(
    readonly name: string,
    private readonly changelogged = true,
  ) {}

  get size(): number {
    return this.tree.size;
  }

  get(key: string): V | undefined {
    return this.tree.get(key);
  }

  put(key: string, value: V): void {
    if (value === undefined) throw new TypeError(`store ${this.name}: cannot put undefined for key ${key}`);
    this.remember(key);
    this.tree.set(key, value);
  }

  delete(key: string): void {
    if (!this.tree.has(key)) return;
    this.remember(key);
    this.tree.delete(key);
  }

  *range(from?: string, to?: string): IterableIterator<[string, V]> {
    const start = from ?? this.tree.minKey();
    if (start === undefined) return;
    for (const [key, value] of this.tree.entries(start)) {
      if (to !== undefined && key >= to) return;
      yield [key, value];
    }
  }

  /**
   * The entries as of now, unaffected by later writes: for a checkpoint written while the task
   * goes on (the tree's copy-on-write clone shares every node until one side changes it).
   */
  snapshot(): IterableIterator<[string, V]> {
    return this.tree.clone().entries();
  }

  /** Applies a changelog entry during restore; not recorded as a change. */
  restore(key: string, value: V | null): void {
    if (value === null) this.tree.delete(key);
    else this.tree.set(key, value);
  }

  /** Marks the start of a record: later `rollbackRecord` undoes everything after this point. */
  beginRecord(): void {
    this.undo = [];
  }

  rollbackRecord(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const [key, previous] = this.undo[i]!;
      if (previous === ABSENT) this.tree.delete(key);
      else this.tree.set(key, previous);
    }
    this.undo = [];
  }

  /** Changes since the last commit, one entry per key with its current value. */
  pendingChanges(): ChangelogEntry[] {
    const changes: ChangelogEntry[] = [];
    for (const key of this.dirty) {
      const value = this.tree.get(key) ?? null;
      if (value !== null || !this.newSinceCommit.has(key)) changes.push({ store: this.name, key, value });
    }
    return changes;
  }

  markCommitted(): void {
    this.dirty.clear();
    this.newSinceCommit.clear();
    this.undo = [];
  }

  private remember(key: string): void {
    const present = this.tree.has(key);
    this.undo.push([key, present ? this.tree.get(key)! : ABSENT]);
    if (!this.changelogged || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!present) this.newSinceCommit.add(key);
  }
}
