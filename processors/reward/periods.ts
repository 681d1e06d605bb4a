/** Reward periods are UTC calendar months ("2026-11"); caps count per UTC day ("2026-11-25"). */

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const periodOf = (at: number) => new Date(at).toISOString().slice(0, 7);
export const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

export function isPeriod(value: string): boolean {
  return PERIOD.test(value);
}

/** Epoch ms at which the period ends (the start of the next month). */
export function periodEnd(period: string): number {
  const match = PERIOD.exec(period);
  if (!match) throw new Error(`period must be YYYY-MM, got "${period}"`);
  return Date.UTC(Number(match[1]), Number(match[2]), 1);
}

export const nextPeriod = (period: string) => periodOf(periodEnd(period));
