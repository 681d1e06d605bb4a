import { leadIndexed, subjectKeysOfLead } from '../processors/erase/subjects';
import type { RecordCodec } from '../runtime/codec';
import type { KeyVault } from '../runtime/privacy/vault';
import { HEADER } from '../runtime/records';
import type { Transport } from '../runtime/transport';
import type { RawLead } from '../schemas/lead';
import { TOPIC } from '../topics/platform';

/**
 * Appends leads to leads.raw, keyed by lead id, each with a new data key its personal fields are
 * sealed with and its entries in the erasure index (privacy.subjects, by the blind indexes of its
 * phone and email). Resolves only when the records are durable (acknowledged by all in-sync
 * replicas, or committed to the embedded log), which is when ingress may answer 202.
 */
export class RawLeadWriter {
  constructor(
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
    private readonly vault: KeyVault,
  ) {}

  async write(leads: readonly RawLead[]): Promise<void> {
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
