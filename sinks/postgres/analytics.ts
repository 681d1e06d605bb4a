import { auc } from '../../models/metrics';
import { FUNNEL_STAGES, rankOf, type Stage } from './lead-events';

/**
 * Funnel arithmetic over counts read from the read models: plain functions, so the numbers a
 * report shows can be checked without a database.
 */

/** Inclusive UTC days, YYYY-MM-DD; an open end is unbounded. */
export interface DayRange {
  from?: string;
  to?: string;
}

export interface StageCount {
  stage: string;
  leads: number;
}

export interface FunnelRow {
  stage: string;
  leads: number;
  /** leads / received, 0..1. */
  share_of_received: number;
}

export interface DropOffRow {
  from_stage: string;
  to_stage: string;
  entered: number;
  continued: number;
  dropped: number;
  /** dropped / entered, 0..1. */
  drop_rate: number;
}

/** A day given on the command line or in a query: YYYY-MM-DD and a real calendar date. */
export function parseDay(value: string, name: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw new Error(`${name} must be a date as YYYY-MM-DD, got "${value}"`);
  return value;
}

export function checkRange(range: DayRange): DayRange {
  if (range.from && range.to && range.from > range.to)
    throw new Error(`--from ${range.from} is after --to ${range.to}`);
  return range;
}

/** The range as timestamps: [start, end) in UTC, null where open. */
export function rangeBounds(range: DayRange): { start: string | null; end: string | null } {
  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    start: range.from ? `${range.from}T00:00:00.000Z` : null,
    end: range.to ? nextDay(range.to) : null,
  };
}

/** part / whole to four decimals; 0 when there is nothing to divide by. */
export const ratio = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;

/** Stage counts in flow order (rejected last), with each stage's share of the leads received. */
export function funnelRows(counts: readonly StageCount[]): FunnelRow[] {
  const received = counts.find((c) => c.stage === 'received')?.leads ?? 0;
  return [...counts]
    .sort((a, b) => rankOf(a.stage) - rankOf(b.stage))
    .map((c) => ({ stage: c.stage, leads: c.leads, share_of_received: ratio(c.leads, received) }));
}

/**
 * Leads lost between consecutive funnel stages, up to the last stage any lead has reached (a
 * stage that does not run yet is not a drop). Rejections are part of the loss at their stage.
 */
export function dropOff(counts: readonly StageCount[]): DropOffRow[] {
  const reached = new Map(counts.map((c) => [c.stage, c.leads]));
  const stages = FUNNEL_STAGES.slice(0, lastReachedIndex(reached) + 1);
  const rows: DropOffRow[] = [];
  for (let i = 1; i < stages.length; i++) {
    const entered = reached.get(stages[i - 1]!) ?? 0;
    const continued = reached.get(stages[i]!) ?? 0;
    rows.push({
      from_stage: stages[i - 1]!,
      to_stage: stages[i]!,
      entered,
      continued,
      dropped: entered - continued,
      drop_rate: ratio(entered - continued, entered),
    });
  }
  return rows;
}

function lastReachedIndex(reached: ReadonlyMap<string, number>): number {
  let last = 0;
  FUNNEL_STAGES.forEach((stage, i) => {
    if ((reached.get(stage) ?? 0) > 0) last = i;
  });
  return last;
}

export interface GroupStageCount extends StageCount {
  group: string;
}

/**
 * One row per group (vendor, line): leads per stage reached, for the funnel stages any group has
 * reached plus rejected, then the share of received leads that were valid and that converted.
 */
export function conversionRows(counts: readonly GroupStageCount[], groupColumn: string) {
  const present = new Set(counts.filter((c) => c.leads > 0).map((c) => c.stage));
  const stages: Stage[] = [...FUNNEL_STAGES.filter((s) => present.has(s) || s === 'received'), 'rejected'];
  const byGroup = new Map<string, Map<string, number>>();
  for (const c of counts) {
    const group = byGroup.get(c.group) ?? new Map<string, number>();
    group.set(c.stage, (group.get(c.stage) ?? 0) + c.leads);
    byGroup.set(c.group, group);
  }
  return [...byGroup]
    .map(([group, reached]) => {
      const received = reached.get('received') ?? 0;
      const row: Record<string, string | number> = { [groupColumn]: group };
      for (const stage of stages) row[stage] = reached.get(stage) ?? 0;
      row.valid_rate = ratio(reached.get('valid') ?? 0, received);
      row.conversion_rate = ratio(reached.get('converted') ?? 0, received);
      return row;
    })
    .sort(
      (a, b) =>
        Number(b.received) - Number(a.received) ||
        String(a[groupColumn]).localeCompare(String(b[groupColumn])),
    );
}

export interface AgentCounts {
  agent_id: string;
  offers: number;
  accepted: number;
  declined: number;
  lapsed: number;
  sold: number;
  lost: number;
  median_seconds_to_accept: number | null;
}

export interface AgentRankRow extends AgentCounts {
  acceptance_rate: number;
  /** sold / (sold + lost): of the leads the agent closed, the share sold. */
  close_rate: number;
}

/** Agents ranked by sales, then close rate, then acceptance: who turns offers into policies. */
export function rankAgents(counts: readonly AgentCounts[]): AgentRankRow[] {
  return counts
    .map((c) => ({
      ...c,
      acceptance_rate: ratio(c.accepted, c.offers),
      close_rate: ratio(c.sold, c.sold + c.lost),
    }))
    .sort(
      (a, b) =>
        b.sold - a.sold ||
        b.close_rate - a.close_rate ||
        b.acceptance_rate - a.acceptance_rate ||
        a.agent_id.localeCompare(b.agent_id),
    );
}

export interface ScoredOutcome {
  /** The score the lead was routed with, 0-100. */
  score: number;
  sold: boolean;
}

export interface AccuracyRow {
  score_band: string;
  closed: number;
  sold: number;
  conversion_rate: number;
  /** On the `all` row: AUC of the score against sold/lost (null without both). */
  auc: number | null;
}

/**
 * How well the score predicted what agents then sold: conversion per score band (it should rise
 * with the score) and, over all closed leads, the AUC of the score against sold/lost.
 */
export function accuracyRows(outcomes: readonly ScoredOutcome[]): AccuracyRow[] {
  const bands = Array.from({ length: 10 }, (_, i) => ({ from: i * 10, closed: 0, sold: 0 }));
  for (const o of outcomes) {
    const band = bands[Math.min(9, Math.max(0, Math.floor(o.score / 10)))]!;
    band.closed += 1;
    if (o.sold) band.sold += 1;
  }
  const sold = outcomes.filter((o) => o.sold).length;
  const area = auc(
    outcomes.map((o) => o.score),
    outcomes.map((o) => (o.sold ? 1 : 0)),
  );
  return [
    ...bands
      .filter((b) => b.closed > 0)
      .map((b) => ({
        score_band: `${b.from}-${b.from + 10}`,
        closed: b.closed,
        sold: b.sold,
        conversion_rate: ratio(b.sold, b.closed),
        auc: null,
      })),
    {
      score_band: 'all',
      closed: outcomes.length,
      sold,
      conversion_rate: ratio(sold, outcomes.length),
      auc: Number.isNaN(area) ? null : Math.round(area * 10_000) / 10_000,
    },
  ];
}
