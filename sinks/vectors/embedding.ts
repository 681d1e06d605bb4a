/**
 * Embeddings of scored leads for similar-lead search. Two embedders behind one interface: the
 * LLM endpoint's embedding model when one is configured, else a deterministic local embedding
 * (signed feature hashing of the lead's normalised facts and the words of its notes), which needs
 * no network and gives the same vector for the same lead on every machine.
 */
import { LlmClient } from '../../connectors/llm/client';
import { maskContactDetails } from '../../connectors/llm/insights';
import { llmMetrics } from '../../connectors/llm/metrics';
import type { ScoredLead } from '../../schemas/score-records';

export interface Embedder {
  /** Names the embedding space: vectors from different ids are not comparable. */
  readonly id: string;
  dimensions(): Promise<number>;
  embed(leads: readonly ScoredLead[]): Promise<number[][]>;
}

function ageBand(age: number | null): string {
  if (age === null) return 'unknown';
  return `${Math.floor(age / 10) * 10}s`;
}

/** The facts similar leads share, as `field:value` tokens. */
export function leadTokens(lead: ScoredLead): { facts: string[]; words: string[] } {
  const l = lead.lead;
  const facts = [
    `line:${lead.classification.line}`,
    `intent:${lead.classification.intent}`,
    `urgency:${lead.classification.urgency}`,
    `vendor:${lead.vendorId}`,
    `state:${l.contact.state}`,
    `age:${ageBand(lead.age)}`,
    `insured:${l.currentInsurance?.currentlyInsured ?? 'unknown'}`,
    `coverage:${l.coverage?.level ?? 'unknown'}`,
    ...(l.auto?.vehicles ?? []).map((v) => `make:${v.make.toLowerCase()}`),
    ...(l.property?.type ? [`property:${l.property.type}`] : []),
    ...(l.life?.policyType ? [`life:${l.life.policyType}`] : []),
    ...(l.commercial?.industry ? [`industry:${l.commercial.industry.toLowerCase()}`] : []),
  ];
  const words = (l.notes ?? '')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9\s]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 1);
  const bigrams = words.slice(1).map((w, i) => `${words[i]} ${w}`);
  return { facts, words: [...words, ...bigrams] };
}

/** The lead as one line of text for a text-embedding model (no contact details). */
export function leadText(lead: ScoredLead): string {
  const { facts } = leadTokens(lead);
  const notes = lead.lead.notes ? ` Notes: ${maskContactDetails(lead.lead.notes)}` : '';
  return `${facts.join(', ')}.${notes}`;
}

function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class LocalEmbedder implements Embedder {
  readonly id: string;

  constructor(private readonly size = 256) {
    this.id = `local-hash-${size}`;
  }

  async dimensions() {
    return this.size;
  }

  async embed(leads: readonly ScoredLead[]): Promise<number[][]> {
    return leads.map((lead) => this.vector(lead));
  }

  vector(lead: ScoredLead): number[] {
    const v = new Float64Array(this.size);
    const add = (token: string, weight: number) => {
      const h = fnv1a(token, 0);
      v[h % this.size] = v[h % this.size]! + (fnv1a(token, 1) & 1 ? 1 : -1) * weight;
    };
    const { facts, words } = leadTokens(lead);
    for (const fact of facts) add(fact, 1);
    // Notes matter, but a long note must not drown the facts.
    const wordWeight = words.length > 0 ? 1.5 / Math.sqrt(words.length) : 0;
    for (const word of words) add(`w:${word}`, wordWeight);
    const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)) || 1;
    return Array.from(v, (x) => x / norm);
  }
}

export class LlmEmbedder implements Embedder {
  readonly id: string;
  private size: number | undefined;

  constructor(private readonly client: LlmClient) {
    this.id = `llm-${client.options.embeddingModel}`;
  }

  async dimensions(): Promise<number> {
    this.size ??= (await this.client.embed(['dimension probe'])).vectors[0]!.length;
    return this.size;
  }

  async embed(leads: readonly ScoredLead[]): Promise<number[][]> {
    if (leads.length === 0) return [];
    const { vectors, tokens } = await this.client.embed(leads.map(leadText));
    llmMetrics.tokens.inc({ model: this.client.options.embeddingModel, kind: 'embedding' }, tokens);
    return vectors;
  }
}
