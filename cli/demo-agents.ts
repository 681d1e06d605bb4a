import { parseAgent } from '../processors/match/agent-profile';
import type { Agent } from '../schemas/routing-records';
import { DEMO_AGENT_IDS } from '../tools/demo-activity';
import { INSURANCE_LINES } from '../schemas/lead';
import { US_STATES } from '../schemas/us-states';

/**
 * The demo's agents, the ones its simulated sales name: on duty around the clock and licensed for
 * every line in every state, in two routing groups, so the demo's leads are matched and offered
 * whenever it runs. Nobody answers the offers; they lapse after the demo.
 */
export function demoAgents(now: number): Agent[] {
  const states = US_STATES.filter((s) => s.kind === 'state' || s.kind === 'district').map((s) => s.code);
  return DEMO_AGENT_IDS.map((agentId, i) => {
    const parsed = parseAgent(
      {
        agentId,
        name: `Demo Agent ${i + 1}`,
        routingGroup: i % 2 === 0 ? 'demo-west' : 'demo-east',
        team: `demo-team-${(i % 4) + 1}`,
        licences: Object.fromEntries(INSURANCE_LINES.map((line) => [line, states])),
        location: { zip: i % 2 === 0 ? '94103' : '10001' },
        capacity: { daily: 1000, concurrent: 100 },
        workingHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
        queueOutsideHours: true,
      },
      now,
      'demo',
    );
    if (!parsed.ok) throw new Error(`demo agent ${agentId}: ${JSON.stringify(parsed.errors)}`);
    return parsed.agent;
  });
}
