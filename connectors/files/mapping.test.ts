import { isLeadColumn, MappingError, parseMapping } from './mapping';

test('a mapping pairs file columns with lead fields, each used once', () => {
  expect([...parseMapping(' Phone = contact.phone, Car=auto.vehicles.4.make ,')]).toEqual([
    ['Phone', 'contact.phone'],
    ['Car', 'auto.vehicles.4.make'],
  ]);
  expect(() => parseMapping('Phone')).toThrow(MappingError);
  expect(() => parseMapping('Phone=contact.phon')).toThrow(/"contact.phon" is not a lead field/);
  expect(() => parseMapping('A=contact.phone,B=contact.phone')).toThrow(/target of two columns/);
  expect(() => parseMapping('A=contact.phone,A=contact.email')).toThrow(/mapped twice/);
  expect(() => parseMapping(',')).toThrow(/empty/);
});

test('lead columns are the generator layout at any array index up to 99', () => {
  expect(isLeadColumn('auto.drivers.7.accidents')).toBe(true);
  expect(isLeadColumn('auto.drivers.700.accidents')).toBe(false);
  expect(isLeadColumn('contact')).toBe(false);
  expect(isLeadColumn('__proto__.polluted')).toBe(false);
});
