import type { LedgerEntry } from '../../schemas/ledger-records';
import { consumed } from '../../test/sinks/records';
import { TOPIC } from '../../topics/platform';
import { toLedgerEntry } from './ledger';

const entry: LedgerEntry = {
  entryId: 'L-1:cost',
  leadId: 'L-1',
  kind: 'cost',
  party: 'vendor',
  partyId: 'acme-leads',
  amountCents: 3150,
  rule: 'rule:auto-ca',
  vendorId: 'acme-leads',
  campaign: 'spring',
  line: 'auto',
  state: 'CA',
  reason: null,
  sourceEventId: 'L-1:1',
  at: Date.UTC(2026, 10, 2, 12),
};

const record = (value: unknown) => consumed(TOPIC.ledger, 'L-1', value, 4);

test('an entry is stored as it is, without NUL characters', () => {
  expect(toLedgerEntry(record(entry))).toEqual(entry);
  expect(toLedgerEntry(record({ ...entry, rule: 'a\u0000b' })).rule).toBe('a\uFFFDb');
});

test('refuses entries that would make every sum wrong, so they are dead-lettered, naming the record', () => {
  expect(() => toLedgerEntry(record(null))).toThrow('ledger/0/4 has no value');
  expect(() => toLedgerEntry(record({ ...entry, amountCents: -100 }))).toThrow(/amountCents -100/);
  expect(() => toLedgerEntry(record({ ...entry, amountCents: 12.5 }))).toThrow(/amountCents 12.5/);
  expect(() => toLedgerEntry(record({ ...entry, kind: 'refund' }))).toThrow(/kind refund/);
  expect(() => toLedgerEntry(record({ ...entry, at: 8.64e15 + 1 }))).toThrow(/not a storable time/);
});
