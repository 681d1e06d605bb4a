/** The label value that stands for every value beyond a label's cap. */
export const OTHER = 'other';

/**
 * Keeps a label's cardinality bounded: the first `cap` distinct values seen keep their own time
 * series, every later one is counted as "other". Values that carry data from outside (vendor ids,
 * routing groups from a config file) go through one of these before they become a label.
 */
export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1)
      throw new Error(`a label cap must be a positive integer, got ${cap}`);
  }

  label(value: string | null | undefined): string {
    if (value === null || value === undefined || value === '') return 'unknown';
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.cap) return OTHER;
    this.seen.add(value);
    return value;
  }
}
