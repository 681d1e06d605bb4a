import { rejectLead } from '../common/decisions';
import { defineProcessor } from '../../runtime/processor';
import type { RawLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { type Blind, identityKey } from './identities';
import { rejectedLead, validateLead } from './rules';

export interface ValidateSettings {
  consentMaxAgeDays: number;
  /** Blind indexes for the phone key of leads.by-phone. */
  blind: Blind;
}

/**
 * validate: the field rules (phone, email, ZIP/state, DOB, consent) on each raw lead. A lead that
 * passes is re-keyed by its phone's blind index for the contact screen; one that fails goes to
 * leads.rejected with every reason. Decisions use the lead's receive time, so a replay decides
 * exactly as the first run did.
 */
export const validateProcessor = (settings: ValidateSettings) =>
  defineProcessor<RawLead>({
    name: 'validate',
    inputs: [TOPIC.leadsRaw],
    outputs: [TOPIC.leadsByPhone, TOPIC.leadsRejected, TOPIC.leadDecisions],
    process(record, ctx) {
      const raw = record.value;
      // A tombstone is meaningless on leads.raw: dead-lettered with this reason.
      if (raw === null) throw new Error(`${record.topic} record ${record.key} has no value (a tombstone)`);
      const result = validateLead(raw, {
        now: raw.receivedAt,
        consentMaxAgeDays: settings.consentMaxAgeDays,
      });
      if (result.status === 'rejected') {
        rejectLead(ctx, rejectedLead(raw, result.reasons, { now: ctx.now(), warnings: result.warnings }));
        return;
      }
      ctx.emit(TOPIC.leadsByPhone, identityKey('phone', result.lead.identities.phone, settings.blind), {
        ...result.lead,
        validatedAt: ctx.now(),
      });
    },
  });
