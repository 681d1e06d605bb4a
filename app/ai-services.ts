/**
 * The score stage's optional services, from the configuration: the LLM path when an endpoint is
 * configured, and the vector index for similar-lead search (Qdrant when QDRANT_URL is set, else
 * pgvector in the read-model database when there is one). The caller owns them and closes them.
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import { createAnswerCache } from '../connectors/llm/cache';
import { LlmClient } from '../connectors/llm/client';
import { createLlmEnricher, llmClientOptions, type LlmEnricher } from '../connectors/llm/enricher';
import type { Queryable } from '../sinks/postgres/database';
import { type Embedder, LlmEmbedder, LocalEmbedder } from '../sinks/vectors/embedding';
import type { VectorIndex } from '../sinks/vectors/index';
import { PgVectorIndex } from '../sinks/vectors/pgvector';
import { QdrantIndex } from '../sinks/vectors/qdrant';

export type AiConfig = Pick<
  Config,
  | 'OPENAI_BASE_URL'
  | 'OPENAI_API_KEY'
  | 'OPENAI_MODEL'
  | 'OPENAI_EMBEDDING_MODEL'
  | 'REDIS_URL'
  | 'QDRANT_URL'
  | 'LEADFLOW_LLM_TIMEOUT_MS'
  | 'LEADFLOW_LLM_USD_PER_MTOK_INPUT'
  | 'LEADFLOW_LLM_USD_PER_MTOK_OUTPUT'
>;

/** The LLM's embeddings when an endpoint is configured, else the local hashed embedding. */
export function createEmbedder(config: AiConfig): Embedder {
  const options = llmClientOptions(config);
  return options ? new LlmEmbedder(new LlmClient(options)) : new LocalEmbedder();
}

export function createVectorIndex(
  config: AiConfig,
  database: Queryable | undefined,
): VectorIndex | undefined {
  if (config.QDRANT_URL) return new QdrantIndex(config.QDRANT_URL);
  return database ? new PgVectorIndex(database) : undefined;
}

export interface OpenedAiServices {
  llm: LlmEnricher | null;
  vectors?: { index: VectorIndex; embedder: Embedder };
  close(): Promise<void>;
}

export function openAiServices(
  config: AiConfig,
  database: Queryable | undefined,
  log: Logger,
): OpenedAiServices {
  const llm = createLlmEnricher(config, createAnswerCache(config.REDIS_URL), log);
  const index = createVectorIndex(config, database);
  return {
    llm,
    vectors: index ? { index, embedder: createEmbedder(config) } : undefined,
    close: async () => {
      await llm?.close();
    },
  };
}
