import type { RecordCodec } from '../runtime/codec';
import { HEADER } from '../runtime/records';
import type { Transport } from '../runtime/transport';
import type { RawLead } from '../schemas/lead';
import { TOPIC } from '../topics/platform';

/**
 * Appends leads to leads.raw, keyed by lead id. Resolves only when the records are durable
 * (acknowledged by all in-sync replicas, or committed to the embedded log), which is when
 * ingress may answer 202.
 */
export class RawLeadWriter {
  constructor(
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
  ) {}

  async write(leads: readonly RawLead[]): Promise<void> {
    await this.transport.produce(
      leads.map((lead) =>
        this.codec.encode(TOPIC.leadsRaw, lead.leadId, lead, {
          [HEADER.ingestedAt]: String(lead.receivedAt),
        }),
      ),
    );
  }
}
