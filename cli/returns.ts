import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { AgentResponse } from '../schemas/assignment-records';
import { RecordCodec } from '../runtime/codec';
import { openSinkDatabase } from '../sinks';
import { returnsUnderReview, reviewDecision } from '../sinks/postgres/returns';
import { platformCatalog, TOPIC } from '../topics/platform';
import { action, type CliContext, openContext } from './context';
import { printTable } from './topics';

async function withReadModels<T>(
  context: CliContext,
  body: (db: NonNullable<Awaited<ReturnType<typeof openSinkDatabase>>>) => Promise<T>,
) {
  const database = await openSinkDatabase(context.config);
  if (!database) {
    throw new Error(
      'no read models to find returns in: on Kafka the sinks write to PostgreSQL, so set DATABASE_URL',
    );
  }
  try {
    return await body(database);
  } finally {
    await database.close();
  }
}

/** Sends a reviewer's decision to the assign task that holds the lead, as the API does. */
async function decide(leadId: string, decision: 'approve' | 'deny', by: string): Promise<void> {
  const context = openContext();
  try {
    const review = await withReadModels(context, (db) => reviewDecision(db, leadId, decision, by));
    if (!review.ok) throw new Error(review.message);
    const catalog = platformCatalog();
    await context.transport.applyTopics([catalog.get(TOPIC.agentResponses)]);
    const codec = new RecordCodec(catalog, context.registry, {
      subjectPrefix: context.transport.topicPrefix,
    });
    await codec.prepare([TOPIC.agentResponses]);
    const response: AgentResponse = {
      ...review.response,
      responseId: randomUUID(),
      respondedAt: Date.now(),
      channel: 'cli',
    };
    await context.transport.produce([codec.encode(TOPIC.agentResponses, response.routingGroup, response)]);
    process.stdout.write(
      `return of lead ${leadId} ${decision === 'approve' ? 'approved' : 'denied'}: recorded\n`,
    );
  } finally {
    await context.transport.close();
  }
}

export function registerReturns(program: Command): void {
  const returns = program
    .command('returns')
    .description(
      'lead returns: list those waiting for review, approve or deny them (docs/economics.md#returns)',
    );

  returns
    .command('pending')
    .description('returns waiting for review, oldest first')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const context = openContext();
        await context.transport.close();
        const pending = await withReadModels(context, returnsUnderReview);
        if (options.json) process.stdout.write(`${JSON.stringify(pending)}\n`);
        else if (pending.length === 0) process.stdout.write('no returns waiting for review\n');
        else {
          printTable(
            ['LEAD', 'AGENT', 'VENDOR', 'REASON', 'WHY REVIEW', 'CHARGED', 'PAID', 'AT'],
            pending.map((r) => [
              r.leadId,
              r.agentId,
              r.vendorId,
              r.returnReason ?? '-',
              r.decision ?? '-',
              r.priceChargedCents === null ? '-' : (r.priceChargedCents / 100).toFixed(2),
              r.pricePaidCents === null ? '-' : (r.pricePaidCents / 100).toFixed(2),
              r.at,
            ]),
          );
        }
      }),
    );

  for (const decision of ['approve', 'deny'] as const) {
    returns
      .command(decision)
      .description(
        decision === 'approve'
          ? 'approve a return under review: the agent is credited, the vendor charged back'
          : 'deny a return under review',
      )
      .argument('<lead>', 'the lead id')
      .requiredOption('--by <reviewer>', 'who decides (kept on the decision)')
      .action(action(async (lead: string, options: { by: string }) => decide(lead, decision, options.by)));
  }
}
