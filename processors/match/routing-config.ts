/**
 * Routing settings per routing group: ranking weights, strategy, radius, offer timeout, staleness
 * and the escalation ladder. Read from a YAML (or JSON, which YAML includes) file named by
 * LEADFLOW_ROUTING_CONFIG; every setting has a default, and a group lists only what differs.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { STRATEGIES, type Strategy } from '../../schemas/routing-records';

export const FACTORS = [
  'specialisation',
  'distance',
  'conversion',
  'responseTime',
  'acceptance',
  'load',
  'tierFit',
  'vip',
  'referral',
  'team',
  'similarSuccess',
] as const;
export type Factor = (typeof FACTORS)[number];

export const ESCALATIONS = ['wider_radius', 'group_lead', 'manual_queue'] as const;
export type Escalation = (typeof ESCALATIONS)[number];

export type Weights = Record<Factor, number>;

export interface GroupSettings {
  strategy: Strategy;
  weights: Weights;
  /** Candidates kept per lead within the radius, and again beyond it (the reserve). */
  maxCandidates: number;
  radiusKm: number;
  offerTimeoutSeconds: number;
  /**
   * How long each step of the ladder (the candidates, then each escalation) gets to place a lead,
   * counted from when it could first be offered; then the lead is stale and escalates.
   */
  staleAfterMinutes: number;
  /**
   * Tried in order when the candidates run out or the lead goes stale; the manual queue is
   * always the last resort, configured or not.
   */
  escalation: Escalation[];
  /** How long an accepted lead counts against the concurrent capacity without an outcome. */
  workWindowMinutes: number;
  /** How soon a lead whose candidates are all busy looks again. */
  capacityRetrySeconds: number;
}

export interface RoutingConfig {
  defaults: GroupSettings;
  groups: Record<string, GroupSettings>;
  /** How long a finished lead's assignment state is kept to recognise replays. */
  retentionDays: number;
}

export const DEFAULT_WEIGHTS: Weights = {
  specialisation: 1.5,
  distance: 1,
  conversion: 2,
  responseTime: 1,
  acceptance: 1,
  load: 1.5,
  tierFit: 1,
  vip: 0.5,
  referral: 2,
  team: 0.5,
  similarSuccess: 1,
};

export const DEFAULT_GROUP_SETTINGS: GroupSettings = {
  strategy: 'best_match',
  weights: DEFAULT_WEIGHTS,
  maxCandidates: 8,
  radiusKm: 250,
  offerTimeoutSeconds: 300,
  staleAfterMinutes: 60,
  escalation: ['wider_radius', 'group_lead', 'manual_queue'],
  workWindowMinutes: 240,
  capacityRetrySeconds: 120,
};

export const DEFAULT_ROUTING_CONFIG: RoutingConfig = {
  defaults: DEFAULT_GROUP_SETTINGS,
  groups: {},
  retentionDays: 30,
};

const weightsSchema = z.strictObject(
  Object.fromEntries(FACTORS.map((f) => [f, z.number().min(0).max(100).optional()])) as Record<
    Factor,
    z.ZodOptional<z.ZodNumber>
  >,
);

const groupSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  weights: weightsSchema.optional(),
  maxCandidates: z.number().int().min(1).max(50).optional(),
  radiusKm: z.number().positive().max(10_000).optional(),
  offerTimeoutSeconds: z.number().positive().max(86_400).optional(),
  staleAfterMinutes: z.number().positive().max(10_080).optional(),
  escalation: z.array(z.enum(ESCALATIONS)).max(3).optional(),
  workWindowMinutes: z.number().positive().max(10_080).optional(),
  capacityRetrySeconds: z.number().positive().max(86_400).optional(),
});
type GroupOverrides = z.infer<typeof groupSchema>;

const fileSchema = z.strictObject({
  defaults: groupSchema.optional(),
  groups: z
    .record(z.string().regex(/^[A-Za-z0-9._-]+$/, 'group names are letters, digits, . _ -'), groupSchema)
    .optional(),
  retentionDays: z.number().positive().max(3650).optional(),
});

function merge(base: GroupSettings, overrides: GroupOverrides | undefined): GroupSettings {
  if (!overrides) return base;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const weights = Object.fromEntries(
    Object.entries(overrides.weights ?? {}).filter(([, v]) => v !== undefined),
  );
  return { ...base, ...defined, weights: { ...base.weights, ...weights } } as GroupSettings;
}

export class RoutingConfigError extends Error {
  override name = 'RoutingConfigError';
}

/** Parses routing settings from YAML or JSON text; errors name the file and the field. */
export function parseRoutingConfig(text: string, source = 'routing config'): RoutingConfig {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new RoutingConfigError(`${source}: not valid YAML/JSON: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new RoutingConfigError(`${source}: ${problems.join('; ')}`);
  }
  const defaults = merge(DEFAULT_GROUP_SETTINGS, parsed.data.defaults);
  const groups = Object.fromEntries(
    Object.entries(parsed.data.groups ?? {}).map(([group, overrides]) => [group, merge(defaults, overrides)]),
  );
  return {
    defaults,
    groups,
    retentionDays: parsed.data.retentionDays ?? DEFAULT_ROUTING_CONFIG.retentionDays,
  };
}

/** The file's settings, or the defaults when no file is configured. */
export function loadRoutingConfig(file: string | undefined): RoutingConfig {
  if (!file) return DEFAULT_ROUTING_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RoutingConfigError(`cannot read routing config ${file}: ${(error as Error).message}`);
  }
  return parseRoutingConfig(text, file);
}

export function settingsFor(config: RoutingConfig, group: string): GroupSettings {
  return config.groups[group] ?? config.defaults;
}

/** The same settings with one strategy for every group (the simulation compares strategies this way). */
export function withStrategy(config: RoutingConfig, strategy: Strategy): RoutingConfig {
  return {
    ...config,
    defaults: { ...config.defaults, strategy },
    groups: Object.fromEntries(
      Object.entries(config.groups).map(([group, settings]) => [group, { ...settings, strategy }]),
    ),
  };
}
