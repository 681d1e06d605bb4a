/**
 * Agent profiles as they come from outside (the CLI's CSV import, later the agent API), validated
 * with zod into the `agents` topic record. Errors name the field; the ZIP of an agent's location
 * gives its coordinates and, when none is given, its time zone.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { INSURANCE_LINES, type InsuranceLine } from '../../schemas/lead';
import { isStateCode } from '../../schemas/us-states';
import { isKnownTimeZone } from '../enrich/contact-window';
import { zipDb } from '../enrich/zipdb';
import { parseClock } from './hours';
import { AGENT_STATUSES, type Agent, NOTIFY_CHANNELS, VIP_TIERS } from '../../schemas/routing-records';

const id = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores');
const clock = z
  .string()
  .trim()
  .refine((text) => parseClock(text) !== null, 'must be a time as HH:MM (24-hour)');

const lineEnum = z.enum(INSURANCE_LINES);
const stateCode = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isStateCode, 'must be a USPS state code');

export const agentInputSchema = z
  .strictObject({
    agentId: id,
    name: z.string().trim().min(1, 'is required').max(100),
    email: z.email('must be an email address').max(254).nullable().default(null),
    phone: z
      .string()
      .trim()
      .transform((text, ctx) => {
        const phone = parsePhoneNumberFromString(text, 'US');
        if (!phone?.isValid()) {
          ctx.addIssue({ code: 'custom', message: 'must be a valid phone number' });
          return z.NEVER;
        }
        return phone.number;
      })
      .nullable()
      .default(null),
    webhookUrl: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .nullable()
      .default(null),
    notify: z.array(z.enum(NOTIFY_CHANNELS)).max(3).default([]),
    routingGroup: id,
    team: z.string().trim().min(1).max(100).nullable().default(null),
    groupLead: z.boolean().default(false),
    licences: z
      .partialRecord(lineEnum, z.array(stateCode).min(1, 'needs at least one state').max(60))
      .refine((licences) => Object.keys(licences).length > 0, 'needs at least one licensed line'),
    specialties: z.array(lineEnum).max(INSURANCE_LINES.length).default([]),
    languages: z
      .array(
        z
          .string()
          .trim()
          .transform((s) => s.toLowerCase())
          .pipe(z.string().regex(/^[a-z]{2}$/, 'must be ISO 639-1 codes such as en, es')),
      )
      .min(1)
      .max(20)
      .default(['en']),
    location: z
      .union([
        z.strictObject({
          zip: z
            .string()
            .trim()
            .regex(/^\d{5}$/, 'must be a 5-digit ZIP'),
        }),
        z.strictObject({
          latitude: z.number().min(-90).max(90),
          longitude: z.number().min(-180).max(180),
        }),
      ])
      .nullable()
      .default(null),
    capacity: z.strictObject({
      daily: z.number().int().min(1).max(1000),
      concurrent: z.number().int().min(1).max(100),
    }),
    workingHours: z.strictObject({
      timeZone: z
        .string()
        .trim()
        .refine(isKnownTimeZone, 'must be an IANA time zone such as America/Chicago')
        .nullable()
        .default(null),
      days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
      start: clock,
      end: clock,
    }),
    queueOutsideHours: z.boolean().default(false),
    status: z.enum(AGENT_STATUSES).default('active'),
    vipTier: z.enum(VIP_TIERS).nullable().default(null),
    weight: z.number().int().min(1).max(100).default(1),
  })
  .superRefine((agent, ctx) => {
    const { start, end } = agent.workingHours;
    if ((parseClock(end) ?? 0) <= (parseClock(start) ?? 0)) {
      ctx.addIssue({ code: 'custom', path: ['workingHours', 'end'], message: 'must be after the start' });
    }
    for (const line of agent.specialties) {
      if (!agent.licences[line]) {
        ctx.addIssue({ code: 'custom', path: ['specialties'], message: `${line} is not a licensed line` });
      }
    }
    const address = { email: agent.email, sms: agent.phone, webhook: agent.webhookUrl };
    for (const channel of agent.notify) {
      if (address[channel] === null) {
        const field = channel === 'sms' ? 'phone' : channel === 'email' ? 'email' : 'webhookUrl';
        ctx.addIssue({ code: 'custom', path: ['notify'], message: `${channel} needs ${field}` });
      }
    }
    if (agent.location && 'zip' in agent.location && !zipDb().lookup(agent.location.zip)) {
      ctx.addIssue({ code: 'custom', path: ['location', 'zip'], message: 'is not a known ZIP' });
    }
    if (agent.workingHours.timeZone === null && !(agent.location && 'zip' in agent.location)) {
      ctx.addIssue({
        code: 'custom',
        path: ['workingHours', 'timeZone'],
        message: 'is required when the location is not a ZIP',
      });
    }
  });

export type AgentInput = z.input<typeof agentInputSchema>;

export interface FieldError {
  field: string;
  message: string;
}

export type AgentParseResult = { ok: true; agent: Agent } | { ok: false; errors: FieldError[] };

/** Validates an agent profile; `source` says who wrote it (cli, api). */
export function parseAgent(input: unknown, now: number, source: string): AgentParseResult {
  const parsed = agentInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({
        field: issue.path.join('.'),
        message: /received undefined$/.test(issue.message) ? 'is required' : issue.message,
      })),
    };
  }
  const profile = parsed.data;
  const zip = profile.location && 'zip' in profile.location ? zipDb().lookup(profile.location.zip)! : null;
  const location =
    profile.location === null
      ? null
      : zip
        ? { zip: zip.zip, latitude: zip.latitude, longitude: zip.longitude }
        : { zip: null, ...(profile.location as { latitude: number; longitude: number }) };
  const timeZone = profile.workingHours.timeZone ?? zip?.timeZone ?? zipDb().stateTimeZone(zip?.state ?? '');
  if (!timeZone) {
    return {
      ok: false,
      errors: [{ field: 'workingHours.timeZone', message: 'is required: the ZIP has no time zone' }],
    };
  }
  const licences: Agent['licences'] = {};
  for (const [line, states] of Object.entries(profile.licences)) {
    licences[line as InsuranceLine] = [...new Set(states)].sort();
  }
  return {
    ok: true,
    agent: {
      agentId: profile.agentId,
      name: profile.name,
      email: profile.email,
      phone: profile.phone,
      webhookUrl: profile.webhookUrl,
      notify: [...new Set(profile.notify)],
      routingGroup: profile.routingGroup,
      team: profile.team,
      groupLead: profile.groupLead,
      licences,
      specialties: [...new Set(profile.specialties)],
      languages: [...new Set(profile.languages)],
      location,
      capacity: profile.capacity,
      workingHours: {
        timeZone,
        days: [...new Set(profile.workingHours.days)].sort(),
        start: profile.workingHours.start,
        end: profile.workingHours.end,
      },
      queueOutsideHours: profile.queueOutsideHours,
      status: profile.status,
      vipTier: profile.vipTier,
      weight: profile.weight,
      updatedAt: now,
      source,
    },
  };
}

/**
 * A stored profile as input again, so a partial change is validated like a new profile. A copy of
 * the own fields only: decoded Avro records carry methods the strict input schema would refuse.
 */
export function agentInputOf(agent: Agent): AgentInput {
  const { updatedAt: _updatedAt, source: _source, location, ...profile } = structuredClone(agent);
  return {
    ...profile,
    location:
      location === null
        ? null
        : location.zip !== null
          ? { zip: location.zip }
          : { latitude: location.latitude, longitude: location.longitude },
  };
}
