/**
 * The economics the demo runs with (and a worked example of the file, docs/economics.md):
 * contract prices for two vendors' campaigns, the vendors' own reported prices for the rest,
 * agents charged by score band, VIP agents by tier, and ping-post buyers.
 */
export const DEMO_ECONOMICS_YAML = `
paid:
  vendorReported: true
  rules:
    - { name: acme-search-auto, vendor: acme-leads, campaign: google-search-auto, line: auto, priceCents: 2800 }
    - { name: acme-search-auto-ca, vendor: acme-leads, campaign: google-search-auto, line: auto, state: CA, priceCents: 3400 }
    - { name: clickharbor-coreg, vendor: clickharbor, campaign: [coreg-sweepstakes, email-blast-0915], priceCents: 600 }
    - { name: medicare-aep, line: medicare, campaign: direct-mail-aep, priceCents: 4500 }
charged:
  defaultPlan: by-score
  plans:
    by-score:
      scoreBands:
        - { minScore: 80, priceCents: 6500 }
        - { minScore: 60, priceCents: 4200 }
        - { minScore: 40, priceCents: 2600 }
        - { minScore: 0, priceCents: 1200 }
    vip:
      vipTiers: { none: 4000, silver: 3800, gold: 3600, platinum: 3400, diamond: 3200 }
  groups: { demo-east: vip }
buyers:
  - { id: autoquote-direct, line: auto, exclusiveCents: 4000 }
  - { id: homeshield, line: [home, renters], exclusiveCents: 3500, sharedCents: 1400 }
  - { id: policy-market, sharedCents: 1500 }
  - { id: quote-exchange, line: [auto, home, life, health], sharedCents: 1300 }
pingPost: { vendorShare: 0.7, bidTtlSeconds: 60, maxSharedBuyers: 3 }
`;
