import { SAMPLE_NOW } from '../../schemas/lead-samples';
import { classifyLead, daysMentioned } from './classify';
import { enrichedSample } from './sample';

// SAMPLE_NOW is 2025-06-02.
describe('line, intent and urgency by rules', () => {
  test('the sample: insured auto lead whose policy expires in 29 days, notes say next month', () => {
    const c = classifyLead(enrichedSample());
    expect(c).toMatchObject({
      line: 'auto',
      statedLine: 'auto',
      intent: 'renewal',
      urgency: 'soon',
      source: 'rules',
    });
    expect(c.signals).toContain('notes: policy renewing or ending');
  });

  test.each([
    ['Need coverage today', 'immediate', 'shopping'],
    ['need insurance TODAY please call', 'immediate', 'shopping'],
    ['Closing on the house Friday, lender needs a binder ASAP', 'immediate', 'shopping'],
    ['Policy lapsed last week, need coverage asap', 'immediate', 'shopping'],
    ['Current policy renews in 3 weeks and the price went up', 'soon', 'renewal'],
    ['Coverage ends at the end of the month', 'soon', 'renewal'],
    ['Rates went up 30%, looking to switch', 'unknown', 'switching'],
    ['Shopping around for a better rate', 'unknown', 'switching'],
    ['Wants to compare quotes from a few carriers', 'unknown', 'shopping'],
    ['Just browsing, not ready to buy', 'later', 'just_browsing'],
    ['Maybe next year', 'later', 'just_browsing'],
  ])('notes "%s": urgency %s, intent %s', (notes, urgency, intent) => {
    const c = classifyLead(
      enrichedSample((b) => {
        b.notes = notes;
        b.currentInsurance = { currentlyInsured: false };
      }),
    );
    expect({ urgency: c.urgency, intent: c.intent }).toEqual({ urgency, intent });
  });

  test('the policy expiry date decides when the notes say nothing; the most pressing date wins', () => {
    const expiring = (policyExpiry: string, notes?: string) =>
      classifyLead(
        enrichedSample((b) => {
          b.currentInsurance = { currentlyInsured: true, policyExpiry };
          b.notes = notes;
        }),
      );
    expect(expiring('2025-06-05').urgency).toBe('immediate');
    expect(expiring('2025-06-05').signals).toContain('current policy expires in 3 days');
    expect(expiring('2025-07-10').urgency).toBe('soon');
    expect(expiring('2025-12-01').urgency).toBe('later');
    expect(expiring('2025-12-01').intent).toBe('switching');
    expect(expiring('2025-06-20').intent).toBe('renewal');
    expect(expiring('2025-06-04', 'no rush, maybe later').urgency).toBe('immediate');
  });

  test('a line that contradicts the details or the age is corrected, with the reason', () => {
    const rentingHome = classifyLead(
      enrichedSample((b) => {
        b.line = 'home';
        delete b.auto;
        b.property = { type: 'apartment', ownership: 'rent' };
      }),
    );
    expect(rentingHome).toMatchObject({ line: 'renters', statedLine: 'home' });
    expect(rentingHome.signals[0]).toBe('details are for renters, sent as home');

    const senior = classifyLead(
      enrichedSample((b) => {
        b.line = 'health';
        b.dateOfBirth = '1950-01-01';
        delete b.auto;
        b.health = { householdSize: 2 };
      }),
    );
    expect(senior).toMatchObject({ line: 'medicare', statedLine: 'health' });

    const autoDetailsSentAsLife = classifyLead(enrichedSample((b) => (b.line = 'life')));
    expect(autoDetailsSentAsLife.line).toBe('auto');
  });

  test('without details, notes that clearly name another line move it; related lines are left alone', () => {
    const notesSayCar = classifyLead(
      enrichedSample((b) => {
        b.line = 'home';
        delete b.auto;
        b.notes = 'Need proof of insurance to drive the car off the lot today';
      }),
    );
    expect(notesSayCar.line).toBe('auto');
    const renterNotes = classifyLead(
      enrichedSample((b) => {
        b.line = 'home';
        delete b.auto;
        b.notes = 'moving into an apartment';
      }),
    );
    expect(renterNotes.line).toBe('home');
  });

  test('days mentioned in free text', () => {
    expect(daysMentioned('expires in 2 weeks')).toEqual({ days: 14, phrase: 'in 2 weeks' });
    expect(daysMentioned('renewal coming up next month')?.days).toBe(30);
    expect(daysMentioned('within a few days')?.days).toBe(3);
    expect(daysMentioned('need it right away')?.days).toBe(0);
    expect(daysMentioned('prefers text messages')).toBeNull();
  });

  test('dates count from the receive time, not the clock', () => {
    const lead = enrichedSample(
      (b) => (b.currentInsurance = { currentlyInsured: true, policyExpiry: '2025-06-05' }),
    );
    expect(lead.receivedAt).toBe(SAMPLE_NOW);
    expect(classifyLead({ ...lead, enrichedAt: SAMPLE_NOW + 365 * 86_400_000 }).urgency).toBe('immediate');
  });
});
