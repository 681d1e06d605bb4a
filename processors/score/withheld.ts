import type { EnrichedLead } from '../../schemas/lead';

/** What stands where a contact detail was: the field's presence is kept, its content is not. */
export const WITHHELD = 'withheld';

const present = <T>(value: T | null): string | null => (value === null ? null : WITHHELD);

/**
 * The lead as model training needs it: every fact the features and the rules classification read
 * (line, details, ages, insurance, price, data quality, warnings, which contact fields were given)
 * with the contact details themselves withheld: names, email, phone, street address, dates of
 * birth, consent text and certificate, IP address, free text, the vendor's id for the person, and
 * unknown extra fields. Training examples are kept long after the lead's own data class
 * (RETENTION_TRAINING_DAYS), so they hold no more than the model learns from. The notes feed the
 * rules classification, so an example carries the classification made from them instead.
 */
export function withContactDetailsWithheld(enriched: EnrichedLead): EnrichedLead {
  const { lead } = enriched;
  return {
    ...enriched,
    lead: {
      ...lead,
      contact: {
        ...lead.contact,
        firstName: WITHHELD,
        lastName: WITHHELD,
        email: present(lead.contact.email),
        phone: WITHHELD,
        phoneExtension: present(lead.contact.phoneExtension),
        addressLine1: present(lead.contact.addressLine1),
        addressLine2: present(lead.contact.addressLine2),
        zipPlus4: present(lead.contact.zipPlus4),
      },
      dateOfBirth: present(lead.dateOfBirth),
      auto:
        lead.auto === null
          ? null
          : {
              ...lead.auto,
              drivers: lead.auto.drivers.map((driver) => ({
                ...driver,
                firstName: present(driver.firstName),
                lastName: present(driver.lastName),
                dateOfBirth: present(driver.dateOfBirth),
              })),
            },
      commercial:
        lead.commercial === null
          ? null
          : { ...lead.commercial, businessName: present(lead.commercial.businessName) },
      consent: {
        ...lead.consent,
        text: WITHHELD,
        certificateId: WITHHELD,
        ipAddress: present(lead.consent.ipAddress),
      },
      source: { ...lead.source, externalId: present(lead.source.externalId) },
      // Whitespace stays what it was: the notes feature counts only notes with something in them.
      notes: lead.notes === null || lead.notes.trim() === '' ? lead.notes : WITHHELD,
      extra: {},
    },
    identities: { phone: WITHHELD, email: present(enriched.identities.email) },
    consentVerification:
      enriched.consentVerification === null
        ? null
        : { ...enriched.consentVerification, certificateId: WITHHELD },
  };
}
