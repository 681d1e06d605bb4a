import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import { enrichLead } from '../enrich/enrich';
import { validateLead } from '../validate/rules';
import { classifyLead } from './classify';
import { leadFeatures } from './features';
import { WITHHELD, withContactDetailsWithheld } from './withheld';

const NOW = Date.UTC(2026, 5, 1, 15);

/** Generated leads as enrich leaves them: real names, phones, addresses, notes. */
function enrichedLeads(count: number) {
  const { leads } = generateLeads({ count, seed: 'withheld', badShare: 0, now: NOW });
  return leads.flatMap((body, i) => {
    const raw = toRawLead(body, { vendorId: 'acme', channel: 'test', receivedAt: NOW, leadId: `lead-${i}` });
    const result = validateLead(raw, { now: NOW, consentMaxAgeDays: 90 });
    return result.status === 'valid' ? [enrichLead({ ...result.lead, validatedAt: NOW }, NOW)] : [];
  });
}

describe('withContactDetailsWithheld', () => {
  const leads = enrichedLeads(400);

  test('the model sees the same features, given the classification made before', () => {
    expect(leads.length).toBeGreaterThan(300);
    for (const lead of leads) {
      const classification = classifyLead(lead);
      expect(leadFeatures(withContactDetailsWithheld(lead), classification)).toEqual(
        leadFeatures(lead, classification),
      );
    }
  });

  test('no name, email, phone, street, date of birth, note or consent text is left', () => {
    for (const lead of leads) {
      const text = JSON.stringify(withContactDetailsWithheld(lead)).toLowerCase();
      const { contact } = lead.lead;
      const secrets = [
        contact.email,
        contact.phone,
        contact.phone.slice(2),
        contact.addressLine1,
        lead.lead.dateOfBirth,
        lead.lead.notes?.trim() || null,
        lead.lead.consent.text,
        lead.lead.consent.certificateId,
        ...(lead.lead.auto?.drivers ?? []).flatMap((d) => [d.dateOfBirth]),
      ].filter((s): s is string => s !== null && s !== '');
      for (const secret of secrets) expect(text).not.toContain(secret.toLowerCase());
      // Names as whole JSON values: a short first name can be part of another word.
      for (const name of [contact.firstName, contact.lastName])
        expect(text).not.toContain(JSON.stringify(name).toLowerCase());
    }
    expect(withContactDetailsWithheld(leads[0]!).lead.contact.phone).toBe(WITHHELD);
  });
});
