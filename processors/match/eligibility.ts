/**
 * The hard constraints, checked before any ranking and again by assign before every offer: an
 * agent may only ever be offered a lead it is licensed for (the lead's line in the lead's state),
 * while active, speaking the lead's language, and inside its working hours (or, for agents that
 * allow it, queued for their next shift). Capacity is the fifth constraint; assign owns it.
 */
import { availability } from './hours';
import type { Agent, RoutableLead, UnroutableCode } from '../../schemas/routing-records';

export type IneligibleReason = 'not_licensed' | 'inactive' | 'language' | 'outside_hours';

export type Eligibility =
  { eligible: true; inHours: boolean; availableAt: number } | { eligible: false; reason: IneligibleReason };

export function isLicensed(agent: Agent, lead: Pick<RoutableLead, 'line' | 'state'>): boolean {
  return agent.licences[lead.line]?.includes(lead.state) ?? false;
}

export function speaksLanguage(agent: Agent, lead: Pick<RoutableLead, 'language'>): boolean {
  return lead.language === null || agent.languages.includes(lead.language);
}

export function checkEligibility(agent: Agent, lead: RoutableLead, now: number): Eligibility {
  if (!isLicensed(agent, lead)) return { eligible: false, reason: 'not_licensed' };
  if (agent.status !== 'active') return { eligible: false, reason: 'inactive' };
  if (!speaksLanguage(agent, lead)) return { eligible: false, reason: 'language' };
  const { inHours, availableAt } = availability(agent.workingHours, now);
  if (!inHours && (!agent.queueOutsideHours || availableAt === Infinity)) {
    return { eligible: false, reason: 'outside_hours' };
  }
  return { eligible: true, inHours, availableAt };
}

const FUNNEL_STEPS: { reason: IneligibleReason; step: string; code: UnroutableCode; message: string }[] = [
  { reason: 'not_licensed', step: 'licensed', code: 'not_licensed', message: 'no agent is licensed for' },
  { reason: 'inactive', step: 'active', code: 'no_active_agent', message: 'no active agent is licensed for' },
  {
    reason: 'language',
    step: 'language',
    code: 'language_unsupported',
    message: 'no active licensed agent speaks the language of',
  },
  {
    reason: 'outside_hours',
    step: 'available',
    code: 'outside_hours',
    message: 'no suitable agent is working now or takes queued leads for',
  },
];

/**
 * Why no agent is eligible: how many agents were left after each constraint, and the first one
 * that left none. `rejections` holds one reason per ineligible agent (checked in funnel order).
 */
export function unroutableReason(
  agentCount: number,
  rejections: readonly IneligibleReason[],
  lead: RoutableLead,
): { code: UnroutableCode; message: string; funnel: Record<string, number> } {
  const describe = `${lead.line} in ${lead.state}${lead.language ? ` (${lead.language})` : ''}`;
  if (agentCount === 0) {
    return { code: 'no_agents', message: 'there are no agents', funnel: { agents: 0 } };
  }
  const funnel: Record<string, number> = { agents: agentCount };
  let left = agentCount;
  let first: (typeof FUNNEL_STEPS)[number] | undefined;
  for (const step of FUNNEL_STEPS) {
    left -= rejections.filter((r) => r === step.reason).length;
    funnel[step.step] = left;
    if (left === 0 && !first) first = step;
  }
  const cause = first ?? FUNNEL_STEPS[FUNNEL_STEPS.length - 1]!;
  return { code: cause.code, message: `${cause.message} ${describe}`, funnel };
}
