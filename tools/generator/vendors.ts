import type { InsuranceLine } from '../../schemas/lead';

/** A simulated lead vendor: volume, quality, price, line mix and habits. */
export interface VendorProfile {
  id: string;
  name: string;
  /** Share of the lead volume (relative). */
  volume: number;
  /** Added to the conversion log-odds: good vendors sell leads that convert. */
  quality: number;
  /** Relative rate of bad records (1 = average). */
  badFactor: number;
  /** Multiplies the base price per line. */
  priceFactor: number;
  lineMix: Partial<Record<InsuranceLine, number>>;
  campaigns: readonly string[];
  certificate: 'trustedform' | 'jornaya';
  /** Probability of each sloppy habit per lead (lower-case state, numeric ZIP, shouting names, ...). */
  sloppiness: number;
  /** Probability that optional fields (email, address, details) are filled. */
  completeness: number;
  /** Relative odds of intent in notes. */
  intent: {
    urgent: number;
    expiring: number;
    shopping: number;
    browsing: number;
    neutral: number;
    none: number;
  };
  /** Unknown fields this vendor adds to every body (kept by leadflow in `extra`). */
  extras: readonly (
    'sub_id' | 'ip_address' | 'user_agent' | 'landing_page' | 'contact.preferredContactTime'
  )[];
}

export const VENDORS: readonly VendorProfile[] = [
  {
    id: 'acme-leads',
    name: 'Acme Leads',
    volume: 22,
    quality: 0.35,
    badFactor: 0.45,
    priceFactor: 1.35,
    lineMix: { auto: 45, home: 25, renters: 5, life: 10, health: 5, medicare: 5, commercial: 5 },
    campaigns: ['google-search-auto', 'google-search-home', 'bing-brand', 'organic-quote-form'],
    certificate: 'trustedform',
    sloppiness: 0.03,
    completeness: 0.92,
    intent: { urgent: 3, expiring: 3, shopping: 3, browsing: 1, neutral: 2, none: 4 },
    extras: [],
  },
  {
    id: 'bluesky-media',
    name: 'BlueSky Media',
    volume: 20,
    quality: 0.1,
    badFactor: 0.8,
    priceFactor: 1.0,
    lineMix: { auto: 55, home: 15, renters: 10, life: 5, health: 10, medicare: 5 },
    campaigns: ['facebook-auto-lookalike', 'facebook-home', 'native-ads-q3'],
    certificate: 'jornaya',
    sloppiness: 0.12,
    completeness: 0.8,
    intent: { urgent: 2, expiring: 2, shopping: 4, browsing: 2, neutral: 2, none: 5 },
    extras: ['sub_id', 'contact.preferredContactTime'],
  },
  {
    id: 'clickharbor',
    name: 'ClickHarbor',
    volume: 18,
    quality: -0.45,
    badFactor: 2.2,
    priceFactor: 0.55,
    lineMix: { auto: 50, health: 25, renters: 10, home: 10, life: 5 },
    campaigns: ['coreg-sweepstakes', 'email-blast-0915', 'push-notifications'],
    certificate: 'jornaya',
    sloppiness: 0.45,
    completeness: 0.6,
    intent: { urgent: 1, expiring: 1, shopping: 2, browsing: 5, neutral: 1, none: 8 },
    extras: ['ip_address', 'user_agent'],
  },
  {
    id: 'northstar-senior',
    name: 'NorthStar Senior Marketing',
    volume: 12,
    quality: 0.45,
    badFactor: 0.5,
    priceFactor: 1.5,
    lineMix: { medicare: 50, life: 35, health: 15 },
    campaigns: ['tv-turning-65', 'direct-mail-aep', 'google-medicare-supplement'],
    certificate: 'trustedform',
    sloppiness: 0.05,
    completeness: 0.9,
    intent: { urgent: 2, expiring: 4, shopping: 3, browsing: 1, neutral: 2, none: 3 },
    extras: ['landing_page'],
  },
  {
    id: 'rapidquote',
    name: 'RapidQuote Network',
    volume: 16,
    quality: -0.25,
    badFactor: 1.6,
    priceFactor: 0.7,
    lineMix: { auto: 35, home: 20, renters: 15, health: 20, life: 10 },
    campaigns: ['rq-display-network', 'rq-affiliates', 'rq-call-center-transfer'],
    certificate: 'jornaya',
    sloppiness: 0.3,
    completeness: 0.7,
    intent: { urgent: 1, expiring: 2, shopping: 3, browsing: 3, neutral: 2, none: 6 },
    extras: ['sub_id'],
  },
  {
    id: 'summit-commercial',
    name: 'Summit Commercial Leads',
    volume: 7,
    quality: 0.25,
    badFactor: 0.7,
    priceFactor: 2.0,
    lineMix: { commercial: 70, home: 15, auto: 15 },
    campaigns: ['linkedin-smb', 'google-business-insurance'],
    certificate: 'trustedform',
    sloppiness: 0.08,
    completeness: 0.85,
    intent: { urgent: 2, expiring: 3, shopping: 3, browsing: 1, neutral: 1, none: 3 },
    extras: [],
  },
  {
    id: 'homefront-direct',
    name: 'HomeFront Direct',
    volume: 5,
    quality: 0.15,
    badFactor: 1.0,
    priceFactor: 1.1,
    lineMix: { home: 60, renters: 35, auto: 5 },
    campaigns: ['mortgage-partner-referrals', 'realtor-co-marketing'],
    certificate: 'trustedform',
    sloppiness: 0.1,
    completeness: 0.85,
    intent: { urgent: 4, expiring: 2, shopping: 2, browsing: 1, neutral: 1, none: 3 },
    extras: ['landing_page'],
  },
];

/** Base price per lead (USD) by line, before the vendor's factor. */
export const BASE_PRICE: Record<InsuranceLine, number> = {
  auto: 28,
  home: 34,
  renters: 12,
  life: 38,
  health: 30,
  medicare: 45,
  commercial: 60,
};
