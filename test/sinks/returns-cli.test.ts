/**
 * `leadflow returns`: lists the returns waiting for review from the read models, and sends a
 * reviewer's decision to the lead's routing group on agent.responses (a buyer's return, with
 * --buyer: to the buyer on buyer.returns); a return already decided, or none, is refused with the
 * reason.
 */
import fs from 'node:fs';
import { RecordCodec } from '../../runtime/codec';
import { createRegistry } from '../../app/transport';
import { loadConfig } from '../../config';
import { EmbeddedTransport, embeddedLogFile } from '../../runtime/transports/embedded';
import type { AgentResponse, AssignmentEvent } from '../../schemas/assignment-records';
import type { BuyerReturnRequest } from '../../schemas/sale-records';
import { writeBuyerReturns } from '../../sinks/postgres/buyer-returns';
import { openDatabase } from '../../sinks/postgres/database';
import { writeRoutingChanges } from '../../sinks/postgres/routing';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { testLead } from '../../tools/routing-fixtures';
import { runCli } from '../support/cli';
import { pgliteDataDir, removePgliteTemplate } from './databases';

jest.setTimeout(120_000);
afterAll(() => removePgliteTemplate());

const embedded = (dataDir: string) => ({
  LEADFLOW_DATA_DIR: dataDir,
  DATABASE_URL: '',
  LEADFLOW_TRANSPORT: 'embedded',
});

function returnEvent(
  leadId: string,
  type: AssignmentEvent['type'],
  reason: string,
  at: number,
): AssignmentEvent {
  return {
    eventId: `${leadId}:3`,
    leadId,
    type,
    routingGroup: 'west',
    agentId: 'a1',
    offerId: `${leadId}:1`,
    attempt: 1,
    strategy: 'best_match',
    at,
    matchedAt: at - 60_000,
    expiresAt: null,
    escalation: null,
    reason,
    outcome: null,
    premiumUsd: null,
    rankScore: null,
    lead: testLead({ leadId, pricePaidCents: 2500, pricePaidRule: 'rule:test' }),
    priceChargedCents: 4000,
    priceChargedRule: 'plan:flat',
    returnReason: 'no_consent',
  };
}

test('lists returns under review, approves one, refuses one already decided or missing', async () => {
  const dataDir = await pgliteDataDir();
  try {
    const db = await openDatabase({ dataDir });
    const at = Date.parse('2026-11-02T10:00:00Z');
    await db.transaction((tx) =>
      writeRoutingChanges(tx, [
        { table: 'assignments', event: returnEvent('L-pending', 'return_pending', 'needs_review', at) },
        { table: 'assignments', event: returnEvent('L-done', 'return_approved', 'auto_approved', at) },
      ]),
    );
    await db.close();

    const pending = runCli(['returns', 'pending', '--json'], embedded(dataDir));
    expect(pending.stderr).toBe('');
    expect(
      (JSON.parse(pending.stdout) as { leadId: string; returnReason: string }[]).map((r) => [
        r.leadId,
        r.returnReason,
      ]),
    ).toEqual([['L-pending', 'no_consent']]);
    const table = runCli(['returns', 'pending'], embedded(dataDir));
    expect(table.stdout).toMatch(/^LEAD\s+AGENT\s+VENDOR\s+REASON/);
    expect(table.stdout).toMatch(/L-pending\s+a1\s+acme-leads\s+no_consent\s+needs_review\s+40\.00\s+25\.00/);

    const approved = runCli(['returns', 'approve', 'L-pending', '--by', 'ops-1'], embedded(dataDir));
    expect([approved.status, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toBe('return of lead L-pending approved: recorded\n');
    const decided = runCli(['returns', 'deny', 'L-done', '--by', 'ops-1'], embedded(dataDir));
    expect(decided.status).toBe(1);
    expect(decided.stderr).toContain('the return of lead L-done is already approved');
    const missing = runCli(['returns', 'approve', 'L-none', '--by', 'ops-1'], embedded(dataDir));
    expect(missing.stderr).toContain('lead L-none has no return');
    expect(runCli(['returns', 'approve', 'L-pending'], embedded(dataDir)).stderr).toContain(
      "'--by <reviewer>'",
    );

    const transport = new EmbeddedTransport({ file: embeddedLogFile(dataDir) });
    try {
      // The registry the CLI wrote with: the configured one, else the log's own.
      const registry = createRegistry(loadConfig({ ...process.env, ...embedded(dataDir) }), transport);
      const codec = new RecordCodec(platformCatalog(), registry);
      const responses = await Promise.all(
        (await transport.read(TOPIC.agentResponses)).map(async (r) => codec.decode<AgentResponse>(r)),
      );
      expect(
        responses.map(({ key, value }) => [
          key,
          value.leadId,
          value.agentId,
          value.response,
          value.decidedBy,
          value.channel,
        ]),
      ).toEqual([['west', 'L-pending', 'a1', 'approve_return', 'ops-1', 'cli']]);
    } finally {
      await transport.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("lists buyers' returns under review after the agents', decides one with --buyer", async () => {
  const dataDir = await pgliteDataDir();
  try {
    const db = await openDatabase({ dataDir });
    const at = Date.parse('2026-11-02T10:00:00Z');
    const bought = { returnReason: 'bad_phone', priceCents: 5000, vendorId: 'acme-leads' };
    await db.transaction(async (tx) => {
      await writeRoutingChanges(tx, [
        { table: 'assignments', event: returnEvent('L-agent', 'return_pending', 'needs_review', at) },
      ]);
      await writeBuyerReturns(tx, [
        {
          ...bought,
          leadId: 'L-bought',
          buyerId: 'west',
          status: 'pending',
          why: 'needs_review',
          decisions: 1,
          decidedAt: at,
        },
        {
          ...bought,
          leadId: 'L-done',
          buyerId: 'west',
          status: 'approved',
          why: 'auto_approved',
          decisions: 1,
          decidedAt: at,
        },
      ]);
    });
    await db.close();

    const pending = runCli(['returns', 'pending', '--json'], embedded(dataDir));
    expect(pending.stderr).toBe('');
    expect(
      (JSON.parse(pending.stdout) as { leadId: string; agentId?: string; buyerId?: string }[]).map((r) => [
        r.leadId,
        r.agentId ?? r.buyerId,
      ]),
    ).toEqual([
      ['L-agent', 'a1'],
      ['L-bought', 'west'],
    ]);
    const table = runCli(['returns', 'pending'], embedded(dataDir)).stdout.split('\n\n');
    expect(table).toHaveLength(2);
    expect(table[0]).toMatch(/^LEAD\s+AGENT\s+VENDOR/);
    expect(table[1]).toMatch(/^LEAD\s+BUYER\s+VENDOR\s+REASON\s+WHY REVIEW\s+PRICE\s+AT\n/);
    expect(table[1]).toMatch(
      /L-bought\s+west\s+acme-leads\s+bad_phone\s+needs_review\s+50\.00\s+2026-11-02T10:00:00\.000Z/,
    );

    const approved = runCli(
      ['returns', 'approve', 'L-bought', '--buyer', 'west', '--by', 'ops-1'],
      embedded(dataDir),
    );
    expect([approved.status, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toBe('return of lead L-bought by buyer west approved: recorded\n');
    const decided = runCli(
      ['returns', 'deny', 'L-done', '--buyer', 'west', '--by', 'ops-1'],
      embedded(dataDir),
    );
    expect(decided.status).toBe(1);
    expect(decided.stderr).toContain('the return of lead L-done by buyer west is already approved');
    // The agent's return of the lead is not the buyer's.
    const missing = runCli(
      ['returns', 'deny', 'L-agent', '--buyer', 'west', '--by', 'ops-1'],
      embedded(dataDir),
    );
    expect(missing.stderr).toContain('lead L-agent has no return by buyer west');

    const transport = new EmbeddedTransport({ file: embeddedLogFile(dataDir) });
    try {
      const registry = createRegistry(loadConfig({ ...process.env, ...embedded(dataDir) }), transport);
      const codec = new RecordCodec(platformCatalog(), registry);
      const requests = await Promise.all(
        (await transport.read(TOPIC.buyerReturns)).map(async (r) => codec.decode<BuyerReturnRequest>(r)),
      );
      expect(
        requests.map(({ key, value }) => [
          key,
          value.buyerId,
          value.leadId,
          value.action,
          value.reason,
          value.by,
        ]),
      ).toEqual([['west', 'west', 'L-bought', 'approve', null, 'ops-1']]);
      expect(requests[0]!.value.requestId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await transport.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
