/**
 * The vector index in Qdrant (@qdrant/js-client-rest), for the docker-compose stack. No Qdrant
 * server can run on the development machines (no Docker, no binary), so this is kept to the
 * plainest calls of the client: create the collection, upsert points, set payload, search,
 * delete points.
 *
 * Qdrant point ids must be unsigned integers or UUIDs, so a lead id maps to a name-based UUID
 * (SHA-1 of the lead id, RFC 4122 version 5 layout) and the lead id itself rides in the payload.
 * Unlike pgvector, an outcome for a lead without a point yet is dropped (Qdrant points need a
 * vector); outcomes follow scoring by hours, so this only loses outcomes of unscored leads.
 */
import { createHash } from 'node:crypto';
import type { LeadOutcomeUpdate, LeadVector, VectorHit, VectorIndex } from './index';

// The package ships a CommonJS build, but its types are declared as ESM only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { QdrantClient } = require('@qdrant/js-client-rest') as typeof import('@qdrant/js-client-rest', {
  with: { 'resolution-mode': 'import' },
});

export function pointId(leadId: string): string {
  const hex = createHash('sha1').update(`leadflow-lead:${leadId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Payload {
  leadId: string;
  line: string;
  vendorId: string;
  score: number;
  scoredAt: number;
  outcome?: string;
  outcomeAt?: number;
}

export class QdrantIndex implements VectorIndex {
  readonly kind = 'qdrant';
  private readonly client: InstanceType<typeof QdrantClient>;

  constructor(
    url: string,
    private readonly collection = 'leads',
    apiKey?: string,
  ) {
    this.client = new QdrantClient({ url, apiKey, checkCompatibility: false });
  }

  async ensure(dimensions: number): Promise<void> {
    const { exists } = await this.client.collectionExists(this.collection);
    if (!exists) {
      await this.client.createCollection(this.collection, {
        vectors: { size: dimensions, distance: 'Cosine' },
      });
      return;
    }
    const info = await this.client.getCollection(this.collection);
    const vectors = info.config.params.vectors as { size?: number } | undefined;
    if (vectors?.size !== dimensions) {
      throw new Error(
        `Qdrant collection ${this.collection} holds ${vectors?.size}-dimensional vectors but the embedder makes ${dimensions}`,
      );
    }
  }

  async upsert(items: readonly LeadVector[]): Promise<void> {
    if (items.length === 0) return;
    await this.client.upsert(this.collection, {
      wait: true,
      points: items.map((item) => ({
        id: pointId(item.leadId),
        vector: item.vector,
        payload: {
          leadId: item.leadId,
          line: item.line,
          vendorId: item.vendorId,
          score: item.score,
          scoredAt: item.scoredAt,
        } satisfies Payload,
      })),
    });
  }

  async setOutcomes(updates: readonly LeadOutcomeUpdate[]): Promise<void> {
    const ids = updates.map((u) => pointId(u.leadId));
    if (ids.length === 0) return;
    const existing = new Map(
      (await this.client.retrieve(this.collection, { ids, with_payload: true, with_vector: false })).map(
        (p) => [String(p.id), p.payload as unknown as Payload],
      ),
    );
    for (const update of updates) {
      const current = existing.get(pointId(update.leadId));
      if (!current || (current.outcomeAt !== undefined && current.outcomeAt > update.at)) continue;
      await this.client.setPayload(this.collection, {
        wait: true,
        points: [pointId(update.leadId)],
        payload: { outcome: update.outcome, outcomeAt: update.at },
      });
      current.outcomeAt = update.at;
    }
  }

  async delete(leadIds: readonly string[]): Promise<void> {
    if (leadIds.length === 0) return;
    await this.client.delete(this.collection, { wait: true, points: leadIds.map(pointId) });
  }

  async vectorOf(leadId: string): Promise<number[] | null> {
    const [point] = await this.client.retrieve(this.collection, {
      ids: [pointId(leadId)],
      with_vector: true,
    });
    return Array.isArray(point?.vector) ? (point.vector as number[]) : null;
  }

  async nearest(vector: readonly number[], k: number, excludeLeadId?: string): Promise<VectorHit[]> {
    const hits = await this.client.search(this.collection, {
      vector: [...vector],
      limit: k,
      with_payload: true,
      filter: excludeLeadId ? { must_not: [{ has_id: [pointId(excludeLeadId)] }] } : undefined,
    });
    return hits.map((hit) => {
      const payload = hit.payload as unknown as Payload;
      return {
        leadId: payload.leadId,
        similarity: hit.score,
        line: payload.line,
        vendorId: payload.vendorId,
        score: payload.score,
        outcome: payload.outcome ?? null,
      };
    });
  }
}
