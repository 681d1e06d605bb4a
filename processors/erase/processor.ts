import { defineProcessor } from '../../runtime/processor';
import { erasedMark } from '../../runtime/privacy/vault';
import type { PrivacyErasure, PrivacySubjectEvent } from '../../schemas/privacy-records';
import { TOPIC } from '../../topics/platform';

export interface EraseSettings {
  /** How long a lead stays findable by its identities: as long as its sealed copies are kept. */
  keepMs: number;
}

/** The leads indexed under one identity key, with when each was received. */
interface SubjectLeads {
  leads: [leadId: string, at: number][];
}

/**
 * erase: keeps, per blind index of a phone or email, the leads that carried it (privacy.subjects,
 * written by ingress with each lead). A request to erase that identity replaces each of those
 * leads' data keys with an erased mark (privacy.keys), so every sealed copy of their personal
 * fields becomes unreadable, forgets the index entry, and writes the audit of what it erased
 * (privacy.erasures), all in one step: exactly once, whatever crashes. A lead indexed after the
 * request is a new lead, not erased by it.
 */
export const eraseProcessor = (settings: EraseSettings) =>
  defineProcessor<PrivacySubjectEvent>({
    name: 'erase',
    inputs: [TOPIC.privacySubjects],
    outputs: [TOPIC.privacyKeys, TOPIC.privacyErasures],
    stores: ['subjects'],
    process(record, ctx) {
      const event = record.value;
      if (event === null) throw new Error(`${record.topic} record ${record.key} has no value (a tombstone)`);
      const subjects = ctx.store<SubjectLeads>('subjects');
      const known = subjects.get(record.key)?.leads ?? [];
      if (event.kind === 'lead') {
        if (!event.leadId) throw new Error(`a lead entry for ${record.key} names no lead`);
        // Past keepMs the lead's sealed copies are gone by retention: nothing left to erase.
        const kept = known.filter(
          ([leadId, at]) => leadId !== event.leadId && at + settings.keepMs > event.at,
        );
        subjects.put(record.key, { leads: [...kept, [event.leadId, event.at]] });
        return;
      }
      if (!event.requestId || !event.parts)
        throw new Error(`an erase entry for ${record.key} names no request`);
      const now = ctx.now();
      const leadIds = known.map(([leadId]) => leadId);
      for (const leadId of leadIds) ctx.emit(TOPIC.privacyKeys, leadId, erasedMark(event.requestId, now));
      subjects.delete(record.key);
      const erasure: PrivacyErasure = {
        requestId: event.requestId,
        part: record.key,
        parts: event.parts,
        leadIds,
        requestedBy: event.requestedBy ?? 'unknown',
        requestedAt: event.at,
        erasedAt: now,
      };
      ctx.emit(TOPIC.privacyErasures, event.requestId, erasure);
    },
  });
