/**
 * A small, hand-counted set of leads for the vendor scorecards: two vendors, two campaigns and a
 * vendor that names none, with rejections (by validate and by a contact screen), offers,
 * acceptances, reported outcomes and ledger entries, a return among them. Records are built as
 * each stage writes them and go through the sinks themselves, so the campaign a row is counted
 * under comes from the lead sink too. The figures they must give are in the tests, worked out.
 */
import pino from 'pino';
import { reportedOutcome } from '../../processors/assign/outcomes';
import { rejectedLead, validateLead } from '../../processors/validate/rules';
import type { ConsumedRecord } from '../../runtime/records';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { Reason, RawLead } from '../../schemas/lead-records';
import { sampleLeadBody, SAMPLE_NOW } from '../../schemas/lead-samples';
import type { LedgerEntry } from '../../schemas/ledger-records';
import type { RoutableLead } from '../../schemas/routing-records';
import { toRawLead } from '../../schemas/raw-lead';
import type { Database } from '../../sinks/postgres/database';
import { postgresSinks } from '../../sinks/postgres/processors';
import { TOPIC } from '../../topics/platform';
import { consumed } from './records';

/** Every lead is received on SAMPLE_NOW's day (2025-06-02) but A7, received the day after. */
export const RECEIVED_ON = '2025-06-02';
const NEXT_DAY = SAMPLE_NOW + 86_400_000;

const reason = (code: string, field: string): Reason => ({ code, field, message: `${field} is wrong` });

interface LeadPlan {
  leadId: string;
  vendorId: string;
  campaign: string | null;
  receivedAt?: number;
  /** Rejected by validate (the parsed lead kept) or by the phone screen (only the body kept). */
  rejected?: { by: 'validate' | 'screen'; reasons: Reason[] };
  /** Assignment transitions after the match, in order. */
  transitions?: (AssignmentEvent['type'] | ['progressed' | 'completed', 'contacted' | 'sold' | 'lost'])[];
  /** Ledger entries (kind, cents, reason). */
  ledger?: [LedgerEntry['kind'], number, string?][];
}

const PLANS: LeadPlan[] = [
  {
    leadId: 'A1',
    vendorId: 'acme-leads',
    campaign: 'spring',
    transitions: ['offered', 'accepted', ['progressed', 'contacted'], ['completed', 'sold']],
    ledger: [
      ['cost', 3000],
      ['revenue', 8000],
    ],
  },
  {
    leadId: 'A2',
    vendorId: 'acme-leads',
    campaign: 'spring',
    transitions: ['offered', 'accepted', ['progressed', 'contacted'], ['completed', 'lost']],
    // Returned for a bad phone: the agent gets its money back and so do we from the vendor.
    ledger: [
      ['cost', 3000],
      ['revenue', 8000],
      ['credit', 8000, 'returned:bad_phone'],
      ['chargeback', 3000, 'returned:bad_phone'],
    ],
  },
  {
    leadId: 'A3',
    vendorId: 'acme-leads',
    campaign: 'summer',
    transitions: ['offered', 'expired'],
    ledger: [['cost', 2500]],
  },
  {
    leadId: 'A4',
    vendorId: 'acme-leads',
    campaign: 'summer',
    rejected: {
      by: 'validate',
      reasons: [reason('invalid_phone', 'contact.phone'), reason('invalid_zip', 'contact.zip')],
    },
  },
  {
    leadId: 'A5',
    vendorId: 'acme-leads',
    campaign: 'spring',
    rejected: { by: 'screen', reasons: [reason('duplicate_contact', 'contact.phone')] },
  },
  {
    leadId: 'A6',
    vendorId: 'acme-leads',
    campaign: 'spring',
    rejected: { by: 'screen', reasons: [reason('duplicate_contact', 'contact.phone')] },
  },
  {
    leadId: 'A7',
    vendorId: 'acme-leads',
    campaign: 'spring',
    receivedAt: NEXT_DAY,
    transitions: ['offered'],
    ledger: [['cost', 2500]],
  },
  {
    leadId: 'B1',
    vendorId: 'beta-leads',
    campaign: null,
    // Only the sale is reported: a sold lead was contacted.
    transitions: ['offered', 'accepted', ['completed', 'sold']],
    ledger: [
      ['cost', 1000],
      ['revenue', 5000],
    ],
  },
  {
    leadId: 'B2',
    vendorId: 'beta-leads',
    campaign: null,
    rejected: { by: 'validate', reasons: [reason('invalid_phone', 'contact.phone')] },
  },
];

function rawLead(plan: LeadPlan): RawLead {
  const body = sampleLeadBody();
  body.source = { ...body.source, vendorId: plan.vendorId, campaign: plan.campaign ?? undefined };
  return toRawLead(body, {
    vendorId: plan.vendorId,
    channel: 'api',
    receivedAt: plan.receivedAt ?? SAMPLE_NOW,
    leadId: plan.leadId,
  });
}

/** The records each topic holds about the fixture's leads, at offsets of their own. */
export function scorecardRecords() {
  const leads: ConsumedRecord<unknown>[] = [];
  const assignments: ConsumedRecord<AssignmentEvent>[] = [];
  const outcomes: ConsumedRecord<unknown>[] = [];
  const ledger: ConsumedRecord<LedgerEntry>[] = [];
  for (const plan of PLANS) {
    const raw = rawLead(plan);
    const at = raw.receivedAt;
    leads.push(consumed(TOPIC.leadsRaw, plan.leadId, raw, leads.length));
    const result = validateLead(raw, { now: at + 1_000, consentMaxAgeDays: 90 });
    if (result.status !== 'valid') throw new Error(`${plan.leadId}: ${JSON.stringify(result.reasons)}`);
    if (plan.rejected) {
      // What a contact screen writes: it has the validated lead, not the original record.
      const from =
        plan.rejected.by === 'validate'
          ? raw
          : { ...raw, body: JSON.stringify(result.lead.lead), lead: null };
      const rejected = rejectedLead(from, plan.rejected.reasons, { now: at + 1_500 });
      leads.push(consumed(TOPIC.leadsRejected, plan.leadId, rejected, leads.length));
      continue;
    }
    leads.push(consumed(TOPIC.leadsValid, plan.leadId, result.lead, leads.length));
    const lead: RoutableLead = {
      leadId: plan.leadId,
      state: 'CA',
      line: 'auto',
      zip: '94103',
      city: null,
      latitude: null,
      longitude: null,
      language: null,
      score: 70,
      tier: 'warm',
      urgency: 'normal',
      receivedAt: at,
      vendorId: plan.vendorId,
      partnerId: null,
      campaign: plan.campaign,
    };
    (plan.transitions ?? []).forEach((step, i) => {
      const [type, outcome] = Array.isArray(step) ? step : [step, null];
      const event: AssignmentEvent = {
        eventId: `${plan.leadId}:${i + 1}`,
        leadId: plan.leadId,
        type,
        routingGroup: 'west',
        agentId: 'agent-7',
        offerId: `${plan.leadId}:1`,
        attempt: 1,
        strategy: 'best_match',
        at: at + (i + 2) * 60_000,
        matchedAt: at + 60_000,
        expiresAt: null,
        escalation: null,
        reason: null,
        outcome,
        premiumUsd: outcome === 'sold' ? 1_200 : null,
        rankScore: 0.8,
        lead,
      };
      assignments.push(consumed(TOPIC.assignments, plan.leadId, event, assignments.length));
      const reported = reportedOutcome(event);
      if (reported) outcomes.push(consumed(TOPIC.leadOutcomes, plan.leadId, reported, outcomes.length));
    });
    (plan.ledger ?? []).forEach(([kind, amountCents, why], i) => {
      const entry: LedgerEntry = {
        entryId: `${plan.leadId}:${kind}`,
        leadId: plan.leadId,
        kind,
        party: kind === 'cost' || kind === 'chargeback' ? 'vendor' : 'agent',
        partyId: kind === 'cost' || kind === 'chargeback' ? plan.vendorId : 'agent-7',
        amountCents,
        rule: 'rule:test',
        vendorId: plan.vendorId,
        campaign: plan.campaign,
        line: 'auto',
        state: 'CA',
        reason: why ?? null,
        sourceEventId: `${plan.leadId}:${i + 1}`,
        at: at + (i + 2) * 60_000,
      };
      ledger.push(consumed(TOPIC.ledger, plan.leadId, entry, ledger.length));
    });
  }
  return { leads: [...leads, ...assignments], routing: [...assignments, ...outcomes], ledger };
}

const silent = pino({ level: 'silent' });

/** Hands `records` to the named Postgres sink as one batch, the way a task does. */
export async function sinkBatch(db: Database, name: string, records: readonly ConsumedRecord<unknown>[]) {
  const sink = postgresSinks(db).find((p) => p.name === name)!;
  for (const record of records) await sink.process(record as never, {} as never);
  await sink.flush!(records as never[], { partition: 0, log: silent });
}

/** Writes the whole fixture through the leads, routing and ledger sinks. */
export async function writeScorecardFixture(db: Database): Promise<void> {
  const { leads, routing, ledger } = scorecardRecords();
  await sinkBatch(db, 'postgres-leads', leads);
  await sinkBatch(db, 'postgres-routing', routing);
  await sinkBatch(db, 'postgres-ledger', ledger);
}
