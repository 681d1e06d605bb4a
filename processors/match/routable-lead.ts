import type { ScoredLead } from '../../schemas/score-records';
import type { RoutableLead, SoldLead } from '../../schemas/routing-records';
import type { Sale } from '../../schemas/sale-records';
import { pricePaid, type EconomicsConfig } from '../ledger/economics';

/**
 * Vendors pass the language and the referral partner as extra fields (`language`, `partnerId`);
 * extra values are JSON text.
 */
function extraString(extra: Record<string, string>, key: string): string | null {
  const text = extra[key];
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  } catch {
    return null;
  }
}

/**
 * The routing view of a leads.scored record: the only place routing reads the scored lead, so a
 * change to that schema changes this function and nothing else in routing. The line is the
 * classifier's (it corrects vendors' lines, e.g. "auto" with only home details), and so is the
 * line the vendor's price is looked up by. match prices the lead here, once, and the price travels
 * with it to assign and the ledger, so every record of the lead agrees on it; without `economics`
 * (the graph's view of a lead) it carries no price.
 */
export function routableLead(scored: ScoredLead, economics?: EconomicsConfig): RoutableLead {
  const language = extraString(scored.lead.extra, 'language');
  const campaign = scored.lead.source.campaign;
  const paid =
    economics &&
    pricePaid(economics, {
      vendorId: scored.vendorId,
      campaign,
      line: scored.classification.line,
      state: scored.lead.contact.state,
      reportedUsd: scored.lead.source.pricePaid,
    });
  return {
    leadId: scored.leadId,
    state: scored.lead.contact.state,
    line: scored.classification.line,
    zip: scored.lead.contact.zip,
    city: scored.lead.contact.city ?? scored.geo?.city ?? null,
    latitude: scored.geo?.latitude ?? null,
    longitude: scored.geo?.longitude ?? null,
    language: language === null ? null : language.toLowerCase().slice(0, 2),
    score: Math.round(Math.min(100, Math.max(0, scored.score.score))),
    tier: scored.score.tier,
    urgency: scored.classification.urgency,
    receivedAt: scored.receivedAt,
    vendorId: scored.vendorId,
    partnerId: extraString(scored.lead.extra, 'partnerId'),
    campaign,
    pricePaidCents: paid?.cents ?? null,
    pricePaidRule: paid?.rule ?? null,
  };
}

/** A posted lead sold to its bid's buyers: priced at the vendor's share of the bid, not by the rules. */
export function soldLead(scored: ScoredLead, sale: Sale, soldAt: number): SoldLead {
  return {
    leadId: scored.leadId,
    lead: {
      ...routableLead(scored),
      pricePaidCents: sale.vendorPriceCents,
      pricePaidRule: `bid:${sale.kind}`,
    },
    sale,
    soldAt,
  };
}
