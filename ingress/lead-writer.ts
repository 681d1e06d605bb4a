import { leadIndexed, subjectKeysOfLead } from '../processors/erase/subjects';
import type { RecordCodec } from '../runtime/codec';
import type { KeyVault } from '../runtime/privacy/vault';
import { HEADER } from '../runtime/records';
import type { Transport } from '../runtime/transport';
import type { RawLead } from '../schemas/lead';
import { TOPIC } from '../topics/platform';
import type { IntakeRefusal } from '../schemas/intake-records';
import type { Admission, IntakeGate } from './caps/gate';

/** A lead the intake gate kept out, by its index in the leads written. */
export type RefusedLead = IntakeRefusal & { index: number };

/**
 * Appends leads to leads.raw, keyed by lead id, each with a new data key its personal fields are
 * sealed with and its entries in the erasure index (privacy.subjects, by the blind indexes of its
 * phone and email), unless a vendor cap or schedule keeps it out. Resolves only when the records
 * are durable (acknowledged by all in-sync replicas, or committed to the embedded log), which is
 * when ingress may answer 202.
 */
export class RawLeadWriter {
  constructor(
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
    private readonly vault: KeyVault,
    /** The vendors' caps and schedules; without, every lead is written. */
    private readonly gate: IntakeGate | null = null,
  ) {}

  /**
   * Writes the leads the intake caps and schedules let in, in order (the first leads of a batch
   * take the last places), and returns the others with why, by their index in `leads`.
   */
  async write(leads: readonly RawLead[]): Promise<RefusedLead[]> {
    if (!this.gate?.active) {
      await this.append(leads);
      return [];
    }
    const admissions: Admission[] = [];
    for (const lead of leads) admissions.push(await this.gate.admit(lead));
    try {
      await this.append(leads.filter((_, i) => admissions[i]!.admitted));
    } catch (error) {
      await this.gate.release(admissions);
      throw error;
    }
    return admissions.flatMap((admission, index) =>
      admission.admitted ? [] : [{ index, code: admission.code, message: admission.message }],
    );
  }

  private async append(leads: readonly RawLead[]): Promise<void> {
    if (leads.length === 0) return;
    await this.codec.prepare([TOPIC.leadsRaw, TOPIC.privacySubjects]);
    const { blind } = this.vault;
    // Keys and index entries first, on their own: a lead must never be readable before its key,
    // nor on the topics before an erasure can find it.
    await this.transport.produce(
      leads.flatMap((lead) => [
        this.vault.createKey(lead.leadId, lead.receivedAt),
        ...subjectKeysOfLead(lead, blind).map((key) =>
          this.codec.encode(TOPIC.privacySubjects, key, leadIndexed(lead.leadId, lead.receivedAt)),
        ),
      ]),
    );
    await this.transport.produce(
      leads.map((lead) =>
        this.codec.encode(TOPIC.leadsRaw, lead.leadId, lead, {
          [HEADER.ingestedAt]: String(lead.receivedAt),
        }),
      ),
    );
  }
}
