import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { AgentResponse } from '../schemas/assignment-records';
import type { BuyerReturnRequest } from '../schemas/sale-records';
import { RecordCodec } from '../runtime/codec';
import { openSinkDatabase } from '../sinks';
import { buyerReturnsUnderReview, buyerReviewDecision } from '../sinks/postgres/buyer-returns';
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

/**
 * Sends a reviewer's decision on a buyer's return to buyer-returns (buyer.returns, keyed by the
 * buyer), as the API does: refused when the read models have no return of the lead by the buyer,
 * or one not waiting for review; without read models (Kafka without DATABASE_URL) sent unchecked,
 * and buyer-returns ignores it unless the return waits for review.
 */
async function decideBuyers(
  leadId: string,
  buyerId: string,
  decision: 'approve' | 'deny',
  by: string,
): Promise<void> {
  if (buyerId.trim() === '') throw new Error('--buyer needs the id of the buyer whose return it is');
  const context = openContext();
  try {
    const database = await openSinkDatabase(context.config);
    const review = database
      ? await buyerReviewDecision(database, leadId, buyerId, decision, by).finally(() => database.close())
      : null;
    if (review && !review.ok) throw new Error(review.message);
    const catalog = platformCatalog();
    await context.transport.applyTopics([catalog.get(TOPIC.buyerReturns)]);
    const codec = new RecordCodec(catalog, context.registry, {
      subjectPrefix: context.transport.topicPrefix,
    });
    await codec.prepare([TOPIC.buyerReturns]);
    const request: BuyerReturnRequest = {
      buyerId,
      leadId,
      action: decision,
      reason: null,
      by,
      requestId: randomUUID(),
      at: Date.now(),
    };
    await context.transport.produce([codec.encode(TOPIC.buyerReturns, buyerId, request)]);
    process.stdout.write(
      `return of lead ${leadId} by buyer ${buyerId} ${decision === 'approve' ? 'approved' : 'denied'}: recorded\n`,
    );
  } finally {
    await context.transport.close();
  }
}

const cents = (amount: number | null) => (amount === null ? '-' : (amount / 100).toFixed(2));

export function registerReturns(program: Command): void {
  const returns = program
    .command('returns')
    .description(
      'lead returns: list those waiting for review, approve or deny them (docs/economics.md#returns)',
    );

  returns
    .command('pending')
    .description(
      "returns waiting for review, oldest first: agents', then ping-post buyers' (--json: one list, " +
        'agent rows with agentId, buyer rows with buyerId)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const context = openContext();
        await context.transport.close();
        const [pending, buyers] = await withReadModels(context, (db) =>
          Promise.all([returnsUnderReview(db), buyerReturnsUnderReview(db)]),
        );
        if (options.json) process.stdout.write(`${JSON.stringify([...pending, ...buyers])}\n`);
        else if (pending.length === 0 && buyers.length === 0) {
          process.stdout.write('no returns waiting for review\n');
        } else {
          if (pending.length > 0) {
            printTable(
              ['LEAD', 'AGENT', 'VENDOR', 'REASON', 'WHY REVIEW', 'CHARGED', 'PAID', 'AT'],
              pending.map((r) => [
                r.leadId,
                r.agentId,
                r.vendorId,
                r.returnReason ?? '-',
                r.decision ?? '-',
                cents(r.priceChargedCents),
                cents(r.pricePaidCents),
                r.at,
              ]),
            );
          }
          if (pending.length > 0 && buyers.length > 0) process.stdout.write('\n');
          if (buyers.length > 0) {
            // Decided with --buyer: leadflow returns approve|deny <lead> --buyer <buyer> --by <reviewer>.
            printTable(
              ['LEAD', 'BUYER', 'VENDOR', 'REASON', 'WHY REVIEW', 'PRICE', 'AT'],
              buyers.map((r) => [
                r.leadId,
                r.buyerId,
                r.vendorId ?? '-',
                r.returnReason ?? '-',
                r.why,
                cents(r.priceCents),
                r.at,
              ]),
            );
          }
        }
      }),
    );

  for (const decision of ['approve', 'deny'] as const) {
    returns
      .command(decision)
      .description(
        decision === 'approve'
          ? 'approve a return under review: the agent (or buyer) is credited, the vendor charged back'
          : 'deny a return under review',
      )
      .argument('<lead>', 'the lead id')
      .requiredOption('--by <reviewer>', 'who decides (kept on the decision)')
      .option('--buyer <buyerId>', "decide this ping-post buyer's return of the lead (not an agent's)")
      .action(
        action(async (lead: string, options: { by: string; buyer?: string }) =>
          options.buyer === undefined
            ? decide(lead, decision, options.by)
            : decideBuyers(lead, options.buyer, decision, options.by),
        ),
      );
  }
}
