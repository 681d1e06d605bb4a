/**
 * `leadflow similar` on the embedded platform: a pipeline run (score stage and vectors sink into
 * PGlite under the data dir), outcomes for some leads, then the command in a child process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLeads } from '../../tools/generator/generate';
import { toRawLead } from '../../schemas/raw-lead';
import type { LeadOutcomeEvent, ScoredLead } from '../../schemas/score-records';
import { openAiServices } from '../../app/ai-services';
import { topology } from '../../app/topology';
import { loadConfig } from '../../config';
import { Pipeline } from '../../runtime/pipeline';
import { EmbeddedTransport, embeddedLogFile } from '../../runtime/transports/embedded';
import { BuiltInSchemaRegistry } from '../../runtime/registry';
import { openDatabase } from '../../sinks/postgres/database';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { runCli } from '../support/cli';
import { codecFor, readValues, testLog } from '../support/harness';

jest.setTimeout(240_000);

test('lists the nearest past leads with their outcomes', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-similar-'));
  // PGlite under the data dir, also in CI where DATABASE_URL points at the shared server.
  const env = { LEADFLOW_TRANSPORT: 'embedded', LEADFLOW_DATA_DIR: dataDir, DATABASE_URL: '' };
  try {
    const config = loadConfig(env);
    const transport = new EmbeddedTransport({ file: embeddedLogFile(config.dataDir) });
    const database = await openDatabase(config);
    const ai = openAiServices(config, database, testLog);
    expect(ai.llm).toBeNull();
    expect(ai.vectors?.index.kind).toBe('pgvector');
    // Everything up to the vectors sink; the Postgres read-model sinks are not needed here.
    const processors = topology(config, {}, ai);
    const catalog = platformCatalog().withProcessors(config.LEADFLOW_APP_ID, processors);
    await transport.applyTopics(catalog.all());
    const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsRaw, TOPIC.leadOutcomes]);
    const pipeline = await Pipeline.start({
      appId: config.LEADFLOW_APP_ID,
      transport,
      keys: vault,
      registry: new BuiltInSchemaRegistry(transport.schemaLog()),
      catalog: platformCatalog(),
      processors,
      log: testLog,
    });
    const { leads, outcomes } = generateLeads({ count: 120, seed: 'similar', badShare: 0 });
    await transport.produce(
      leads.map((body, i) =>
        codec.encode(
          TOPIC.leadsRaw,
          outcomes[i]!.externalId,
          toRawLead(body, {
            vendorId: outcomes[i]!.vendorId,
            channel: 'test',
            receivedAt: Date.now(),
            leadId: outcomes[i]!.externalId,
          }),
        ),
      ),
    );
    await pipeline.waitIdle(120_000);
    const scored = await readValues<ScoredLead>(transport, codec, TOPIC.leadsScored);
    expect(scored.length).toBeGreaterThan(100);
    const outcome = (lead: ScoredLead, status: LeadOutcomeEvent['status']): LeadOutcomeEvent => ({
      eventId: `${lead.leadId}-${status}`,
      leadId: lead.leadId,
      status,
      at: Date.now(),
      agentId: null,
      premiumUsd: null,
      reason: null,
    });
    await transport.produce(
      scored
        .slice(1)
        .map((lead, i) =>
          codec.encode(TOPIC.leadOutcomes, lead.leadId, outcome(lead, i % 2 ? 'sold' : 'lost')),
        ),
    );
    await pipeline.waitIdle(60_000);
    await pipeline.stop();
    await transport.close();
    await database.close();

    const target = scored[0]!.leadId;
    const result = runCli(['similar', target, '-k', '5', '--json'], env);
    expect(result.stderr).toBe('');
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({ leadId: target, index: 'pgvector' });
    expect(answer.neighbours).toHaveLength(5);
    expect(answer.neighbours.map((n: { leadId: string }) => n.leadId)).not.toContain(target);
    for (const n of answer.neighbours) expect(['sold', 'lost']).toContain(n.outcome);
    expect(answer.conversionRate).toBeGreaterThanOrEqual(0);
    const similarities = answer.neighbours.map((n: { similarity: number }) => n.similarity);
    // Nearest first; pgvector ranks in single precision, so near-ties may differ in the 8th digit.
    for (let i = 1; i < similarities.length; i++)
      expect(similarities[i]).toBeLessThanOrEqual(similarities[i - 1] + 1e-6);

    const table = runCli(['similar', target, '-k', '3'], env);
    expect(table.stdout).toMatch(/^LEAD\s+SIMILARITY\s+LINE/);
    expect(table.stdout).toMatch(/neighbours sold: \d+% of those with a final outcome/);

    const unknown = runCli(['similar', 'no-such-lead'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/lead no-such-lead has no vector/);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
