/** Records of lead.decisions (schemas/lead-decision.avsc). */

/**
 * Topic `lead.decisions`, keyed by lead id: what the pipeline decided about a lead, once: rejected
 * by an intake stage (with its reasons), or accepted and priced by match. A synchronous lead
 * submission waits for it; it carries no personal data.
 */
export interface LeadDecision {
  leadId: string;
  vendorId: string;
  status: 'accepted' | 'rejected';
  /** The stage that decided: validate, screen-phone, screen-email, enrich or match. */
  stage: string;
  reasons: { code: string; field: string; message: string }[];
  /** Accepted: what the vendor is paid for the lead, US cents; null when no price applies. */
  pricePaidCents: number | null;
  decidedAt: number;
}
