import { DEFAULT_RETURN_POLICY } from '../ledger/economics';
import { decideReturn, type ReturnFacts } from './returns';

const HOUR = 3_600_000;
const facts: ReturnFacts = {
  reason: 'bad_phone',
  acceptedAt: 0,
  now: 2 * HOUR,
  outcomes: ['contacted'],
  agentAccepted: 40,
  agentReturned: 2,
};

describe('deciding a return', () => {
  it('approves a trusted reason within the window while the rate stays low', () => {
    expect(decideReturn(DEFAULT_RETURN_POLICY, facts)).toEqual({ status: 'approved', why: 'auto_approved' });
  });

  it.each([
    ['not interested is not a bad lead', { reason: 'not_interested' }, 'not_a_return_reason'],
    ['a sale proves the lead was good', { outcomes: ['contacted', 'sold'] }, 'lead_sold'],
    ['the window closed', { now: 72 * HOUR + 1 }, 'return_window_closed'],
  ] as const)('denies when %s', (_, change, why) => {
    expect(decideReturn(DEFAULT_RETURN_POLICY, { ...facts, ...change })).toEqual({ status: 'denied', why });
  });

  it('asks a person about reasons the policy does not trust', () => {
    expect(decideReturn(DEFAULT_RETURN_POLICY, { ...facts, reason: 'no_consent' })).toEqual({
      status: 'pending',
      why: 'needs_review',
    });
  });

  it('asks a person once approving would take the rate over the maximum, judged from enough leads', () => {
    // 8 of 40 approved: a 9th would be 22.5 % > 20 %.
    expect(decideReturn(DEFAULT_RETURN_POLICY, { ...facts, agentReturned: 8 })).toEqual({
      status: 'pending',
      why: 'return_rate_over_max',
    });
    expect(decideReturn(DEFAULT_RETURN_POLICY, { ...facts, agentReturned: 7 }).status).toBe('approved');
    // 1 of 3 is a high rate, but three leads say little about an agent.
    expect(decideReturn(DEFAULT_RETURN_POLICY, { ...facts, agentAccepted: 3, agentReturned: 0 }).status).toBe(
      'approved',
    );
  });
});
