/** Pure parts of the graph sink: household keys, and how a batch of records becomes graph rows. */
import { testAgent } from '../../tools/routing-fixtures';
import type { ConsumedRecord } from '../../runtime/records';
import { graphBatch } from '../../sinks/neo4j/graph-records';
import { type HouseholdContact, householdKeys, normalizeAddress } from '../../sinks/neo4j/household';
import { testBlind } from '../support/privacy';
import { TOPIC } from '../../topics/platform';

const contact = (overrides: Partial<HouseholdContact> = {}): HouseholdContact => ({
  lastName: 'Rivera',
  addressLine1: '1200 North Main Street',
  addressLine2: 'Apartment 4B',
  state: 'TX',
  zip: '78701',
  ...overrides,
});

describe('household keys', () => {
  test('USPS abbreviations, case, punctuation and unit designators do not split a household', () => {
    expect(normalizeAddress('1200 North Main Street', 'Apartment 4B')).toBe('1200 n main st 4b');
    expect(normalizeAddress('1200 N. MAIN ST.', '#4B')).toBe('1200 n main st 4b');
    expect(normalizeAddress('1200 n main st, unit 4b')).toBe('1200 n main st 4b');
    const a = householdKeys(contact(), testBlind);
    const b = householdKeys(
      contact({ addressLine1: '1200 N. MAIN ST., APT 4B', addressLine2: null }),
      testBlind,
    );
    expect(a).toHaveLength(2);
    expect(b).toEqual(a);
  });

  test('same address and ZIP, another family: shares the address key only', () => {
    const [addressKey, nameKey] = householdKeys(contact(), testBlind);
    const neighbour = householdKeys(contact({ lastName: 'Nguyen' }), testBlind);
    expect(neighbour[0]).toBe(addressKey);
    expect(neighbour[1]).not.toBe(nameKey);
  });

  test('same family and address with a mistyped ZIP: shares the name key only', () => {
    const [addressKey, nameKey] = householdKeys(contact(), testBlind);
    const typo = householdKeys(contact({ zip: '78710', lastName: 'RIVERA' }), testBlind);
    expect(typo[0]).not.toBe(addressKey);
    expect(typo[1]).toBe(nameKey);
  });

  test('another unit, street or state is another household', () => {
    const keys = new Set(householdKeys(contact(), testBlind));
    for (const other of [
      contact({ addressLine2: 'Apt 5B' }),
      contact({ addressLine1: '1202 North Main Street' }),
      contact({ state: 'OK', zip: '73102' }),
    ]) {
      expect(householdKeys(other, testBlind).some((key) => keys.has(key))).toBe(false);
    }
  });

  test('no street address: no household; keys hold no address or name in clear', () => {
    expect(householdKeys(contact({ addressLine1: null }), testBlind)).toEqual([]);
    expect(householdKeys(contact({ addressLine1: '  ' }), testBlind)).toEqual([]);
    for (const key of householdKeys(contact(), testBlind)) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(key).not.toMatch(/main|rivera|78701/i);
    }
  });
});

const record = (topic: string, key: string, value: unknown, offset: number): ConsumedRecord<unknown> => ({
  topic,
  partition: 0,
  offset,
  key,
  value,
  headers: {},
  timestamp: 0,
});

describe('graph rows', () => {
  test("an agent's latest record in a batch wins, a tombstone included", () => {
    const batch = graphBatch(
      [
        record(TOPIC.agents, 'a1', testAgent({ agentId: 'a1', routingGroup: 'west' }), 1),
        record(TOPIC.agents, 'a2', testAgent({ agentId: 'a2' }), 2),
        record(TOPIC.agents, 'a1', null, 3),
        record(TOPIC.agents, 'a2', null, 4),
        record(TOPIC.agents, 'a2', testAgent({ agentId: 'a2', routingGroup: 'east', team: 'blue' }), 5),
      ],
      testBlind,
    );
    expect(batch.removedAgents).toEqual(['a1']);
    expect(batch.agents).toMatchObject([{ agentId: 'a2', routingGroup: 'east', team: 'blue' }]);
  });

  test('a record the graph cannot hold is refused with the field named', () => {
    expect(() => graphBatch([record(TOPIC.leadOutcomes, 'x', { status: 'sold' }, 1)], testBlind)).toThrow(
      'lead.outcomes: leadId is missing',
    );
    expect(() => graphBatch([record(TOPIC.leadsRaw, 'x', {}, 1)], testBlind)).toThrow(
      'does not read topic leads.raw',
    );
  });
});
