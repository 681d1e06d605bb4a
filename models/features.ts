/**
 * How columns of a table become the numbers a linear model weighs. Numeric columns are
 * standardised (so one penalty treats them alike) with missing values imputed by the mean and
 * flagged; categorical columns (codes that are names, not magnitudes, such as a customer type or a
 * vendor) are one-hot encoded over the levels seen often enough, rarer levels sharing the baseline.
 * The spec is learned once from training rows and stored in the model artifact, so scoring encodes
 * exactly as training did.
 */

export type Cell = string | number | boolean | null | undefined;
export type Row = Readonly<Record<string, Cell>>;

/** Words for reason codes; without them the column name is used. */
export interface ColumnWords {
  /** What the column is, e.g. "Data quality". */
  label?: string;
  /** Numeric: the fact when the value is above / below the training average. */
  high?: string;
  low?: string;
  /** Categorical: the fact for each level, e.g. { "acme-leads": "Came from Acme Leads" }. */
  levels?: Record<string, string>;
}

export interface NumericColumn {
  kind: 'numeric';
  column: string;
  mean: number;
  scale: number;
  /** Whether an extra 0/1 feature marks missing values (only when training saw some). */
  missingFlag: boolean;
  words?: ColumnWords;
}

export interface CategoricalColumn {
  kind: 'categorical';
  column: string;
  /** One feature per level; any other value (or none) is the all-zero baseline. */
  levels: string[];
  words?: ColumnWords;
}

export type ColumnSpec = NumericColumn | CategoricalColumn;

export interface ColumnHint {
  column: string;
  kind?: 'numeric' | 'categorical';
  words?: ColumnWords;
}

export interface InferOptions {
  /** Columns to use, with optional kind and words; default: every column but the excluded ones. */
  columns?: readonly ColumnHint[];
  exclude?: readonly string[];
  /** Columns to treat as categorical whatever their values look like (e.g. numeric codes). */
  categorical?: readonly string[];
  /** Levels seen fewer times than this share the baseline (too few rows to learn a weight). */
  minLevelCount?: number;
}

/** A cell as a number, or null when it is missing or not a number. */
export function numericValue(cell: Cell): number | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const text = cell.trim();
  if (text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

export function categoricalValue(cell: Cell): string | null {
  if (cell === null || cell === undefined) return null;
  const text = String(cell).trim();
  return text === '' ? null : text;
}

/** Learns the spec of every used column from the training rows. Constant columns are dropped. */
export function inferColumns(rows: readonly Row[], options: InferOptions = {}): ColumnSpec[] {
  const exclude = new Set(options.exclude ?? []);
  const forcedCategorical = new Set(options.categorical ?? []);
  const minLevelCount = options.minLevelCount ?? 5;
  const hints: ColumnHint[] =
    options.columns?.map((h) => ({ ...h })) ??
    [...new Set(rows.flatMap((r) => Object.keys(r)))]
      .filter((c) => !exclude.has(c))
      .map((column) => ({ column }));
  for (const name of forcedCategorical) {
    if (!hints.some((h) => h.column === name))
      throw new Error(`categorical column "${name}" is not in the data`);
  }

  const specs: ColumnSpec[] = [];
  for (const hint of hints) {
    const values = rows.map((r) => r[hint.column]);
    const looksNumeric = values.every((v) => categoricalValue(v) === null || numericValue(v) !== null);
    const kind =
      hint.kind ?? (forcedCategorical.has(hint.column) || !looksNumeric ? 'categorical' : 'numeric');
    if (kind === 'categorical') {
      const counts = new Map<string, number>();
      for (const v of values) {
        const level = categoricalValue(v);
        if (level !== null) counts.set(level, (counts.get(level) ?? 0) + 1);
      }
      // The most common level is the baseline, so each weight reads "compared with the usual case".
      const frequent = [...counts]
        .filter(([, n]) => n >= minLevelCount)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const levels = frequent.slice(1).map(([level]) => level);
      if (levels.length === 0) continue;
      specs.push({ kind, column: hint.column, levels, ...(hint.words ? { words: hint.words } : {}) });
    } else {
      const numbers = values.map(numericValue);
      const present = numbers.filter((v): v is number => v !== null);
      if (present.length === 0) continue;
      const mean = present.reduce((a, b) => a + b, 0) / present.length;
      const variance = present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length;
      const missingFlag = present.length < numbers.length;
      if (variance === 0 && !missingFlag) continue;
      specs.push({
        kind,
        column: hint.column,
        mean,
        scale: variance > 0 ? Math.sqrt(variance) : 1,
        missingFlag,
        ...(hint.words ? { words: hint.words } : {}),
      });
    }
  }
  return specs;
}

/** Names of the encoded features, in vector order: `col`, `col:missing`, `col=level`. */
export function featureNames(columns: readonly ColumnSpec[]): string[] {
  return columns.flatMap((c) =>
    c.kind === 'numeric'
      ? c.missingFlag
        ? [c.column, `${c.column}:missing`]
        : [c.column]
      : c.levels.map((l) => `${c.column}=${l}`),
  );
}

/** Which column each encoded feature belongs to (index into `columns`). */
export function featureOwners(columns: readonly ColumnSpec[]): number[] {
  return columns.flatMap((c, i) =>
    Array.from({ length: c.kind === 'numeric' ? (c.missingFlag ? 2 : 1) : c.levels.length }, () => i),
  );
}

export function encodeRow(columns: readonly ColumnSpec[], row: Row, out?: Float64Array): Float64Array {
  const width = columns.reduce(
    (n, c) => n + (c.kind === 'numeric' ? (c.missingFlag ? 2 : 1) : c.levels.length),
    0,
  );
  const x = out ?? new Float64Array(width);
  x.fill(0);
  let k = 0;
  for (const c of columns) {
    if (c.kind === 'numeric') {
      const v = numericValue(row[c.column]);
      x[k] = v === null ? 0 : (v - c.mean) / c.scale;
      k += 1;
      if (c.missingFlag) {
        x[k] = v === null ? 1 : 0;
        k += 1;
      }
    } else {
      const level = categoricalValue(row[c.column]);
      const index = level === null ? -1 : c.levels.indexOf(level);
      if (index >= 0) x[k + index] = 1;
      k += c.levels.length;
    }
  }
  return x;
}
