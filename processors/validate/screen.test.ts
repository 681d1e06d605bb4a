import { SAMPLE_NOW, sampleLeadBody, sampleRawLead } from '../../schemas/lead-samples';
import type { ValidLead } from '../../schemas/lead';
import { validateLead } from './rules';
import { type DoNotContact, screenContact } from './screen';

const DAY = 24 * 60 * 60 * 1000;
const WINDOW = 30 * DAY;
const KEY = 'phone:+14158675309';
const DISCONNECTED_ON_OR_AFTER = Date.UTC(2025, 4, 1);

/** A valid lead whose consent was given at `consentAt`. */
function leadConsentedAt(consentAt: number, leadId = 'lead-0001'): ValidLead {
  const body = sampleLeadBody();
  body.consent.timestamp = new Date(consentAt).toISOString();
  const result = validateLead(sampleRawLead(body, { leadId }), { now: SAMPLE_NOW, consentMaxAgeDays: 90 });
  if (result.status !== 'valid') throw new Error(JSON.stringify(result.reasons));
  return result.lead;
}

const entry = (kind: string, addedAt: number, reason: string | null = null): DoNotContact => ({
  key: KEY,
  kind,
  reason,
  source: 'fcc-rnd:results.csv',
  addedAt,
});

const screen = (lead: ValidLead, blocked: DoNotContact | undefined, seen?: { leadId: string; at: number }) =>
  screenContact(lead, KEY, { blocked, seen }, WINDOW);

describe('screenContact: the reassigned list', () => {
  const reassigned = entry('reassigned', DISCONNECTED_ON_OR_AFTER);

  it('rejects a lead whose consent predates the disconnection: it came from the previous holder', () => {
    const reason = screen(leadConsentedAt(DISCONNECTED_ON_OR_AFTER - 10 * DAY), reassigned);
    expect(reason).toEqual({
      code: 'phone_reassigned',
      field: 'contact.phone',
      message:
        'phone was permanently disconnected on or after 2025-05-01 (fcc-rnd:results.csv); the consent of 2025-04-21 came from its previous holder',
    });
  });

  it('counts a consent on the day asked about, wherever in the US it is still that day, as before it', () => {
    expect(screen(leadConsentedAt(DISCONNECTED_ON_OR_AFTER + 15 * 3600_000), reassigned)?.code).toBe(
      'phone_reassigned',
    );
    // 2025-05-02 05:00 UTC is still the evening of May 1 in California.
    expect(screen(leadConsentedAt(DISCONNECTED_ON_OR_AFTER + 29 * 3600_000), reassigned)?.code).toBe(
      'phone_reassigned',
    );
  });

  it('lets a consent given after that day through: the number may have changed hands before it', () => {
    expect(screen(leadConsentedAt(DISCONNECTED_ON_OR_AFTER + 2 * DAY), reassigned)).toBeNull();
  });

  it('still catches a duplicate when the reassigned entry does not block', () => {
    const lead = leadConsentedAt(DISCONNECTED_ON_OR_AFTER + 20 * DAY);
    const reason = screen(lead, reassigned, { leadId: 'lead-0000', at: lead.receivedAt - DAY });
    expect(reason?.code).toBe('duplicate_contact');
  });

  it('blocks every consent for the other lists, naming the list', () => {
    const lead = leadConsentedAt(DISCONNECTED_ON_OR_AFTER + 20 * DAY);
    expect(screen(lead, entry('national-dnc', SAMPLE_NOW, 'National Do Not Call Registry'))).toEqual({
      code: 'do_not_contact',
      field: 'contact.phone',
      message: 'phone is on the do-not-contact list (National Do Not Call Registry)',
    });
    expect(screen(lead, entry('phone', SAMPLE_NOW))?.code).toBe('do_not_contact');
  });
});
