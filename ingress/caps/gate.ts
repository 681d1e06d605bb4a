import { type IntakeLead, intakeClaims, outsideSchedule, type CapClaim } from '../../processors/ledger/caps';
import type { Config } from '../../config';
import { type EconomicsConfig, loadEconomicsConfig } from '../../processors/ledger/economics';
import type { IntakeRefusal } from '../../schemas/intake-records';
import type { RawLead } from '../../schemas/lead';
import type { CapCounters } from './counters';

/** A lead let in, holding its places in the counts until it is written (or they are given back). */
export type Admission = { admitted: true; claims: CapClaim[] } | ({ admitted: false } & IntakeRefusal);

const intakeLeadOf = (lead: RawLead): IntakeLead => ({
  vendorId: lead.vendorId,
  campaign: lead.lead?.source.campaign ?? null,
});

/**
 * The intake caps and schedules of the economics file, checked for each lead at ingress before
 * it is written: a lead over a cap, or outside its vendor's schedule, is refused with the reason
 * and never enters the pipeline; one let in takes its place in every count it falls under.
 */
export class IntakeGate {
  constructor(
    private readonly config: EconomicsConfig,
    private readonly counters: CapCounters,
  ) {}

  /** Whether any vendor has caps or a schedule: without, there is nothing to check. */
  get active(): boolean {
    return this.config.caps.vendors.length > 0 || this.config.schedules.length > 0;
  }

  async admit(lead: RawLead): Promise<Admission> {
    const intake = intakeLeadOf(lead);
    const outside = outsideSchedule(this.config, intake, lead.receivedAt);
    if (outside) return { admitted: false, code: 'outside_schedule', message: outside };
    const claims = intakeClaims(this.config, intake, lead.receivedAt);
    const full = await this.counters.take(claims);
    if (full) return { admitted: false, code: 'cap_reached', message: `over ${full.describe}` };
    return { admitted: true, claims };
  }

  /** Gives the places of leads that could not be written back. */
  async release(admissions: readonly Admission[]): Promise<void> {
    await this.counters.give(admissions.flatMap((a) => (a.admitted ? a.claims : [])));
  }
}

/** The gate of the economics file's caps and schedules, counting in `counters`. */
export function openIntakeGate(
  config: Pick<Config, 'LEADFLOW_ECONOMICS_CONFIG'>,
  counters: CapCounters,
): IntakeGate {
  return new IntakeGate(loadEconomicsConfig(config.LEADFLOW_ECONOMICS_CONFIG), counters);
}
