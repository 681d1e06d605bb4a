/**
 * TypeScript shapes of the routing topics' records (agents, agent.features, agent.performance,
 * leads.matched, leads.sold). They match `schemas/agent*.avsc` and `schemas/lead-matched.avsc` field for
 * field: optional Avro fields are `T | null`, timestamps are epoch milliseconds.
 */
import type { InsuranceLine } from './lead';
import type { Sale } from './sale-records';

/** How a routing group picks among its ready candidates. */
export const STRATEGIES = ['best_match', 'weighted_round_robin', 'fair_share'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const AGENT_STATUSES = ['active', 'paused', 'inactive'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** VIP tiers from the rewards program, lowest first. */
export const VIP_TIERS = ['silver', 'gold', 'platinum', 'diamond'] as const;
export type VipTier = (typeof VIP_TIERS)[number];

export const NOTIFY_CHANNELS = ['webhook', 'email', 'sms'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

export interface WorkingHours {
  timeZone: string;
  /** ISO weekdays, 1 = Monday ... 7 = Sunday. */
  days: number[];
  /** HH:MM local, inclusive. */
  start: string;
  /** HH:MM local, exclusive; after start. */
  end: string;
}

export interface AgentLocation {
  zip: string | null;
  latitude: number;
  longitude: number;
}

/** Topic `agents`, keyed by agent id. */
export interface Agent {
  agentId: string;
  name: string;
  email: string | null;
  phone: string | null;
  webhookUrl: string | null;
  notify: NotifyChannel[];
  routingGroup: string;
  team: string | null;
  groupLead: boolean;
  /** Licensed states per line; the lines an agent works are the keys. */
  licences: Partial<Record<InsuranceLine, string[]>>;
  specialties: InsuranceLine[];
  languages: string[];
  location: AgentLocation | null;
  capacity: { daily: number; concurrent: number };
  workingHours: WorkingHours;
  queueOutsideHours: boolean;
  status: AgentStatus;
  vipTier: VipTier | null;
  weight: number;
  updatedAt: number;
  source: string;
}

/** Topic `agent.features`, keyed by agent id; written by the graph job. */
export interface AgentFeatures {
  agentId: string;
  referralPartners: string[];
  teamStrength: number | null;
  similarLeadSuccess: Record<string, number>;
  computedAt: number;
  source: string;
}

export interface AgentLoad {
  day: string;
  acceptedToday: number;
  openOffers: number;
  active: number;
  dailyCapacity: number;
  concurrentCapacity: number;
}

/** Topic `agent.performance`, keyed by agent id; written by assign. */
export interface AgentPerformance {
  agentId: string;
  routingGroup: string;
  offers: number;
  accepted: number;
  declined: number;
  expired: number;
  sold: number;
  lost: number;
  acceptanceRate: number;
  conversionRate: number;
  meanResponseSeconds: number | null;
  load: AgentLoad;
  updatedAt: number;
}

/** What routing needs of a scored lead. No contact details: it travels to agents before they accept. */
export interface RoutableLead {
  leadId: string;
  state: string;
  line: InsuranceLine;
  zip: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  /** ISO 639-1; null when the lead did not say (any agent will do). */
  language: string | null;
  /** 0-100. */
  score: number;
  tier: string;
  urgency: string;
  receivedAt: number;
  vendorId: string;
  partnerId: string | null;
  /** The vendor's campaign. Absent in records written before pricing: null. */
  campaign?: string | null;
  /** What the vendor is paid for the lead (processors/ledger/economics.ts); null: no price applies. */
  pricePaidCents?: number | null;
  /** The rule that set it (`rule:<name>`, `vendor-reported`). */
  pricePaidRule?: string | null;
}

export interface FactorContribution {
  name: string;
  /** 0-1. */
  value: number;
  weight: number;
  contribution: number;
}

export interface Candidate {
  agentId: string;
  /** 1 = best. */
  rank: number;
  score: number;
  distanceKm: number | null;
  /** matchedAt when inside working hours, else the start of the agent's next shift. */
  availableAt: number;
  factors: FactorContribution[];
}

export const UNROUTABLE_CODES = [
  'no_agents',
  'not_licensed',
  'no_active_agent',
  'language_unsupported',
  'outside_hours',
] as const;
export type UnroutableCode = (typeof UNROUTABLE_CODES)[number];

export interface Unroutable {
  code: UnroutableCode;
  message: string;
  /** Agents left after each hard constraint, in order. */
  funnel: Record<string, number>;
}

/** Topic `leads.matched`, keyed by routing group (unroutable leads: by lead id). */
export interface LeadMatched {
  leadId: string;
  matchedAt: number;
  outcome: 'routed' | 'unroutable';
  routingGroup: string | null;
  lead: RoutableLead;
  candidates: Candidate[];
  reserve: Candidate[];
  unroutable: Unroutable | null;
  /**
   * 1 for a lead's first routing, one more for each routing after it was unroutable (see
   * routing-memory.ts). Absent in records written before it existed: 1.
   */
  generation?: number;
}

/**
 * Topic `leads.sold`, keyed by lead id: a posted lead that passed intake, sold to its bid's buyers
 * instead of routed to agents. No contact details.
 */
export interface SoldLead {
  leadId: string;
  /** The lead as routing sees it, priced at the vendor's share of the bid. */
  lead: RoutableLead;
  sale: Sale;
  soldAt: number;
}
