import {
  DEFAULT_ECONOMICS_CONFIG,
  parseEconomicsConfig,
  type PricedLead,
  priceCharged,
  pricePaid,
  EconomicsConfigError,
} from './economics';

const lead: PricedLead = {
  vendorId: 'acme',
  campaign: 'spring',
  line: 'auto',
  state: 'TX',
  reportedUsd: 31.5,
};

const config = parseEconomicsConfig(`
paid:
  rules:
    - { name: acme-any, vendor: acme, priceCents: 2000 }
    - { name: acme-spring-auto-tx, vendor: acme, campaign: spring, line: auto, state: [TX, OK], priceCents: 2600 }
    - { name: auto-tx, line: auto, state: TX, priceCents: 2400 }
charged:
  defaultPlan: by-score
  plans:
    by-score:
      scoreBands: [{ minScore: 0, priceCents: 1500 }, { minScore: 80, priceCents: 6000 }, { minScore: 50, priceCents: 3500 }]
    flat: { fixedCents: 4000 }
    vip: { vipTiers: { none: 3000, silver: 3200, gold: 3400, platinum: 3600, diamond: 3800 } }
  agents: { agent-7: flat }
  groups: { east: vip }
`);

describe('price paid', () => {
  it('takes the most specific matching rule, whatever the file order', () => {
    expect(pricePaid(config, lead)).toEqual({ cents: 2600, rule: 'rule:acme-spring-auto-tx' });
    expect(pricePaid(config, { ...lead, campaign: 'autumn' })).toEqual({ cents: 2400, rule: 'rule:auto-tx' });
    expect(pricePaid(config, { ...lead, campaign: null, state: 'CA' })).toEqual({
      cents: 2000,
      rule: 'rule:acme-any',
    });
  });

  it('pays what the vendor reported when no rule matches, in cents without float error', () => {
    expect(pricePaid(config, { ...lead, vendorId: 'other', state: 'CA', reportedUsd: 19.99 })).toEqual({
      cents: 1999,
      rule: 'vendor-reported',
    });
  });

  it('has no price without a rule or a reported price, or when reported prices are not trusted', () => {
    expect(pricePaid(config, { ...lead, vendorId: 'other', state: 'CA', reportedUsd: null })).toBeNull();
    const strict = parseEconomicsConfig('paid: { vendorReported: false }');
    expect(pricePaid(strict, lead)).toBeNull();
    expect(pricePaid(DEFAULT_ECONOMICS_CONFIG, lead)).toEqual({ cents: 3150, rule: 'vendor-reported' });
  });
});

describe('price charged', () => {
  const account = { agentId: 'agent-1', routingGroup: 'west', vipTier: null, score: 65 };

  it('charges by score band under the default plan', () => {
    expect(priceCharged(config, account)).toEqual({ cents: 3500, rule: 'plan:by-score:score>=50' });
    expect(priceCharged(config, { ...account, score: 80 })).toEqual({
      cents: 6000,
      rule: 'plan:by-score:score>=80',
    });
    expect(priceCharged(config, { ...account, score: 0 })).toEqual({
      cents: 1500,
      rule: 'plan:by-score:score>=0',
    });
  });

  it("takes the agent's own plan before its group's, and a group's before the default", () => {
    expect(priceCharged(config, { ...account, agentId: 'agent-7', routingGroup: 'east' })).toEqual({
      cents: 4000,
      rule: 'plan:flat',
    });
    expect(priceCharged(config, { ...account, routingGroup: 'east', vipTier: 'gold' })).toEqual({
      cents: 3400,
      rule: 'plan:vip:gold',
    });
    expect(priceCharged(config, { ...account, routingGroup: 'east' })).toEqual({
      cents: 3000,
      rule: 'plan:vip:none',
    });
  });

  it('charges nobody without a plan', () => {
    expect(priceCharged(DEFAULT_ECONOMICS_CONFIG, account)).toBeNull();
  });
});

describe('the economics file', () => {
  it.each([
    ['paid: { rules: [{ line: boat, priceCents: 100 }] }', /paid\.rules\.0\.line/],
    ['paid: { rules: [{ state: ZZ, priceCents: 100 }] }', /paid\.rules\.0\.state/],
    ['paid: { rules: [{ vendor: a, priceCents: -1 }] }', /paid\.rules\.0\.priceCents/],
    ['charged: { plans: { p: { scoreBands: [{ minScore: 50, priceCents: 1 }] } } }', /minScore 0/],
    [
      'charged: { plans: { p: { fixedCents: 1 } }, defaultPlan: q }',
      /charged\.defaultPlan: no plan named "q"/,
    ],
    [
      'charged: { plans: { p: { fixedCents: 1 } }, agents: { a1: q } }',
      /charged\.agents\.a1: no plan named "q"/,
    ],
    ['charged: { plans: { p: { fixedCents: 1, scoreBands: [] } } }', /charged\.plans\.p/],
    ['paid: [1', /not valid YAML/],
  ])('refuses %s, naming the field', (text, message) => {
    expect(() => parseEconomicsConfig(text, 'economics.yaml')).toThrow(EconomicsConfigError);
    expect(() => parseEconomicsConfig(text, 'economics.yaml')).toThrow(message);
  });
});
