import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_GROUP_SETTINGS,
  DEFAULT_ROUTING_CONFIG,
  loadRoutingConfig,
  parseRoutingConfig,
  RoutingConfigError,
  settingsFor,
  withStrategy,
} from './routing-config';

describe('routing config', () => {
  test('no file means the defaults', () => {
    expect(loadRoutingConfig(undefined)).toBe(DEFAULT_ROUTING_CONFIG);
    expect(settingsFor(DEFAULT_ROUTING_CONFIG, 'anything')).toBe(DEFAULT_GROUP_SETTINGS);
  });

  test('groups inherit the defaults and override what they list, weights one by one', () => {
    const config = parseRoutingConfig(`
defaults:
  offerTimeoutSeconds: 120
  weights: { distance: 3 }
groups:
  pc-west:
    strategy: fair_share
    weights: { conversion: 5 }
    escalation: [group_lead, manual_queue]
retentionDays: 7
`);
    const west = settingsFor(config, 'pc-west');
    expect(west).toMatchObject({
      strategy: 'fair_share',
      offerTimeoutSeconds: 120,
      escalation: ['group_lead', 'manual_queue'],
    });
    expect(west.weights).toMatchObject({
      distance: 3,
      conversion: 5,
      load: DEFAULT_GROUP_SETTINGS.weights.load,
    });
    expect(settingsFor(config, 'other')).toMatchObject({ strategy: 'best_match', offerTimeoutSeconds: 120 });
    expect(config.retentionDays).toBe(7);
    expect(settingsFor(withStrategy(config, 'weighted_round_robin'), 'pc-west').strategy).toBe(
      'weighted_round_robin',
    );
  });

  test('JSON works too', () => {
    expect(parseRoutingConfig('{"defaults": {"strategy": "weighted_round_robin"}}').defaults.strategy).toBe(
      'weighted_round_robin',
    );
  });

  test.each([
    ['groups:\n  west:\n    strategy: random\n', 'groups.west.strategy'],
    ['defaults:\n  weights: { distanse: 1 }\n', 'defaults.weights'],
    ['defaults:\n  offerTimeoutSeconds: -5\n', 'defaults.offerTimeoutSeconds'],
    ['defaults:\n  escalation: [phone_a_friend]\n', 'defaults.escalation.0'],
    ['retentionDays: lots\n', 'retentionDays'],
    ['groups:\n  "bad group":\n    strategy: fair_share\n', 'groups.bad group'],
  ])('a bad setting names its field: %s', (text, field) => {
    expect(() => parseRoutingConfig(text, 'routing.yaml')).toThrow(RoutingConfigError);
    expect(() => parseRoutingConfig(text, 'routing.yaml')).toThrow(
      new RegExp(`routing\\.yaml: .*${field.replace('.', '\\.')}`),
    );
  });

  test('unreadable files and YAML fail with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routing-config-'));
    const file = path.join(dir, 'routing.yaml');
    fs.writeFileSync(file, 'defaults: [unclosed');
    expect(() => loadRoutingConfig(file)).toThrow(/routing\.yaml: not valid YAML/);
    expect(() => loadRoutingConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read routing config/);
    fs.rmSync(dir, { recursive: true });
  });
});
