/**
 * The agent import CSV: one agent per row, flat columns a spreadsheet can hold. Rows become the
 * agent profile input (agent-profile.ts) and are validated there; errors come back naming the CSV
 * column, so an operator can fix the sheet.
 */
import { parse } from 'csv-parse/sync';
import { INSURANCE_LINES } from '../../schemas/lead';
import { US_STATES } from '../../schemas/us-states';
import { type FieldError, parseAgent } from './agent-profile';
import type { Agent } from '../../schemas/routing-records';

export const AGENT_CSV_COLUMNS = [
  'agent_id',
  'name',
  'email',
  'phone',
  'webhook_url',
  'notify',
  'routing_group',
  'team',
  'group_lead',
  ...INSURANCE_LINES.map((line) => `licensed_${line}`),
  'specialties',
  'languages',
  'zip',
  'latitude',
  'longitude',
  'capacity_daily',
  'capacity_concurrent',
  'time_zone',
  'work_days',
  'work_start',
  'work_end',
  'queue_outside_hours',
  'status',
  'vip_tier',
  'weight',
] as const;

/** Profile field (dotted path prefix) -> the column it comes from. */
const COLUMN_OF: [string, string][] = [
  ['agentId', 'agent_id'],
  ['webhookUrl', 'webhook_url'],
  ['routingGroup', 'routing_group'],
  ['groupLead', 'group_lead'],
  ...INSURANCE_LINES.map((line): [string, string] => [`licences.${line}`, `licensed_${line}`]),
  ['licences', 'licensed_*'],
  ['location.zip', 'zip'],
  ['location.latitude', 'latitude'],
  ['location.longitude', 'longitude'],
  ['location', 'zip'],
  ['capacity.daily', 'capacity_daily'],
  ['capacity.concurrent', 'capacity_concurrent'],
  ['workingHours.timeZone', 'time_zone'],
  ['workingHours.days', 'work_days'],
  ['workingHours.start', 'work_start'],
  ['workingHours.end', 'work_end'],
  ['queueOutsideHours', 'queue_outside_hours'],
  ['vipTier', 'vip_tier'],
];

function columnOf(field: string): string {
  const match = COLUMN_OF.find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`));
  return match ? match[1] : field.split('.')[0] || '(row)';
}

const ALL_STATES = US_STATES.filter((s) => s.kind === 'state' || s.kind === 'district').map((s) => s.code);
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const blank = (value: string | undefined) => value === undefined || value.trim() === '';
const list = (value: string) => value.split(/[\s,;|]+/).filter(Boolean);

function dayNumber(token: string): number | null {
  const named = DAY_NAMES.indexOf(token.slice(0, 3).toLowerCase());
  if (named >= 0) return named + 1;
  return /^[1-7]$/.test(token) ? Number(token) : null;
}

/** "mon-fri", "mon,wed,fri", "1-5", "sat-sun" -> ISO weekdays; null when unreadable. */
export function parseWorkDays(text: string): number[] | null {
  const days = new Set<number>();
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const [from, to] = part.split('-');
    const first = dayNumber(from!);
    const last = to === undefined ? first : dayNumber(to);
    if (first === null || last === null || last < first) return null;
    for (let day = first; day <= last; day++) days.add(day);
  }
  return days.size > 0 ? [...days].sort() : null;
}

function bool(value: string): boolean | string {
  const word = value.trim().toLowerCase();
  if (['yes', 'y', 'true', '1'].includes(word)) return true;
  if (['no', 'n', 'false', '0'].includes(word)) return false;
  return value;
}

function num(value: string): number | string {
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

export interface RowError {
  /** 1-based data row (the header is not counted). */
  row: number;
  column: string;
  message: string;
}

export type AgentRowResult = { ok: true; agent: Agent } | { ok: false; errors: RowError[] };

/** Turns one CSV row (column -> text) into a validated agent. */
export function agentFromCsvRow(
  row: Record<string, string | undefined>,
  rowNumber: number,
  now: number,
): AgentRowResult {
  const errors: RowError[] = [];
  const text = (column: string) => (blank(row[column]) ? undefined : row[column]!.trim());
  const optional = (column: string) => text(column) ?? null;

  const licences: Record<string, string[]> = {};
  for (const line of INSURANCE_LINES) {
    const states = text(`licensed_${line}`);
    if (states === undefined) continue;
    const codes = list(states);
    licences[line] = codes.some((s) => s.toUpperCase() === 'ALL') ? ALL_STATES : codes;
  }
  const workDays = text('work_days');
  const days = workDays === undefined ? undefined : parseWorkDays(workDays);
  if (days === null) {
    errors.push({
      row: rowNumber,
      column: 'work_days',
      message: 'must be days such as mon-fri, sat-sun or mon,wed,fri',
    });
  }
  const zip = text('zip');
  const latitude = text('latitude');
  const longitude = text('longitude');
  const location =
    zip !== undefined
      ? { zip: zip.padStart(5, '0') }
      : latitude !== undefined || longitude !== undefined
        ? { latitude: num(latitude ?? ''), longitude: num(longitude ?? '') }
        : null;
  const flag = (column: string) => (text(column) === undefined ? undefined : bool(text(column)!));
  const count = (column: string) => (text(column) === undefined ? undefined : num(text(column)!));

  const input = {
    agentId: text('agent_id'),
    name: text('name'),
    email: optional('email'),
    phone: optional('phone'),
    webhookUrl: optional('webhook_url'),
    notify: text('notify') === undefined ? undefined : list(text('notify')!.toLowerCase()),
    routingGroup: text('routing_group'),
    team: optional('team'),
    groupLead: flag('group_lead'),
    licences,
    specialties: text('specialties') === undefined ? undefined : list(text('specialties')!.toLowerCase()),
    languages: text('languages') === undefined ? undefined : list(text('languages')!),
    location,
    capacity: { daily: count('capacity_daily'), concurrent: count('capacity_concurrent') },
    workingHours: {
      timeZone: optional('time_zone'),
      days: days ?? [],
      start: text('work_start'),
      end: text('work_end'),
    },
    queueOutsideHours: flag('queue_outside_hours'),
    status: text('status')?.toLowerCase(),
    vipTier: text('vip_tier')?.toLowerCase() ?? null,
    weight: count('weight'),
  };
  const parsed = parseAgent(input, now, 'cli');
  if (!parsed.ok) {
    for (const error of parsed.errors) {
      const rowErr = rowError(rowNumber, error);
      // Unreadable work days are reported above; zod would add a vaguer error for the same column.
      if (!(days === null && rowErr.column === 'work_days')) errors.push(rowErr);
    }
  }
  return errors.length > 0 || !parsed.ok ? { ok: false, errors } : { ok: true, agent: parsed.agent };
}

function rowError(row: number, error: FieldError): RowError {
  return { row, column: columnOf(error.field), message: error.message };
}

export interface AgentCsvResult {
  agents: Agent[];
  errors: RowError[];
}

/**
 * Reads an agent CSV (header row first). Unknown columns fail the whole file, since a misspelt
 * column would silently lose a setting; every other problem is reported per row, and the rows
 * without problems are returned.
 */
export function parseAgentCsv(text: string, now: number): AgentCsvResult {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true });
  } catch (error) {
    return { agents: [], errors: [{ row: 0, column: '(file)', message: (error as Error).message }] };
  }
  const known = new Set<string>(AGENT_CSV_COLUMNS);
  const unknown = rows.length === 0 ? [] : Object.keys(rows[0]!).filter((column) => !known.has(column));
  if (unknown.length > 0) {
    return {
      agents: [],
      errors: unknown.map((column) => ({ row: 0, column, message: 'is not a known column' })),
    };
  }
  const agents: Agent[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const result = agentFromCsvRow(row, index + 1, now);
    if (!result.ok) {
      errors.push(...result.errors);
      return;
    }
    const first = seen.get(result.agent.agentId);
    if (first !== undefined) {
      errors.push({ row: index + 1, column: 'agent_id', message: `repeats row ${first}` });
      return;
    }
    seen.set(result.agent.agentId, index + 1);
    agents.push(result.agent);
  });
  return { agents, errors };
}
