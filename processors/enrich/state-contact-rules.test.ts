import { callingRuleFor, FEDERAL_CALLING_RULE, STATE_CONTACT_RULES } from './state-contact-rules';

describe('state calling rules', () => {
  it.each(Object.entries(STATE_CONTACT_RULES))(
    '%s is cited, dated and inside the federal hours',
    (state, rule) => {
      expect(rule.rule).toBe(state);
      expect(rule.citation).not.toBe('');
      expect(rule.url).toMatch(/^https?:\/\/\S+$/);
      expect(rule.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const hours of [rule.weekday, rule.saturday, rule.sunday]) {
        if (hours === null) continue;
        expect(hours.startHour).toBeGreaterThanOrEqual(FEDERAL_CALLING_RULE.weekday!.startHour);
        expect(hours.endHour).toBeLessThanOrEqual(FEDERAL_CALLING_RULE.weekday!.endHour);
        expect(hours.startHour).toBeLessThan(hours.endHour);
      }
      if (rule.holidays) {
        expect(rule.holidays.days.length).toBeGreaterThan(0);
        expect(rule.holidays.url).toMatch(/^https?:\/\/\S+$/);
      }
    },
  );

  it('falls back to the federal rule for states without one', () => {
    expect(callingRuleFor('FL')).toBe(STATE_CONTACT_RULES.FL);
    expect(callingRuleFor('ut')).toBe(STATE_CONTACT_RULES.UT);
    expect(callingRuleFor('NY')).toBe(FEDERAL_CALLING_RULE);
    expect(callingRuleFor(null)).toBe(FEDERAL_CALLING_RULE);
  });
});
