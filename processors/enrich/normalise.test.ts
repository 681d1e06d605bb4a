import fc from 'fast-check';
import { normaliseAddressLine, normaliseCity } from './address';
import { normalisePersonName } from './names';

describe('normalisePersonName', () => {
  it.each([
    ['JOHN', 'John'],
    ['  mary   ann  ', 'Mary Ann'],
    ['mary-kate mcdonald', 'Mary-Kate McDonald'],
    ["O'BRIEN", "O'Brien"],
    ['o’neil', 'O’Neil'],
    ["d'angelo", "D'Angelo"],
    ['MACARTHUR', 'MacArthur'],
    ['MACK', 'Mack'],
    ['maria de la cruz', 'Maria de la Cruz'],
    ['DE LA CRUZ', 'De la Cruz'],
    ['VAN BUREN', 'Van Buren'],
    ['john smith jr', 'John Smith Jr'],
    ['HENRY VIII', 'Henry VIII'],
    ['JOSÉ GARCÍA', 'José García'],
    ['nguyễn văn an', 'Nguyễn Văn An'],
    ['SIOBHÁN', 'Siobhán'],
    ['ZOË', 'Zoë'],
    ['DeShawn', 'DeShawn'],
    ['McKenzie', 'McKenzie'],
    ['李小龍', '李小龍'],
    ['Jose\u0301', 'José'],
  ])('%s -> %s', (input, expected) => {
    expect(normalisePersonName(input)).toBe(expected);
  });

  it('is idempotent', () => {
    const nameish = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc
        .array(
          fc.constantFrom(
            'mc',
            'MAC',
            "o'",
            'de',
            'la',
            'VAN',
            '-',
            ' ',
            'jr',
            'ii',
            'ß',
            'İ',
            'ǅ',
            'é',
            'A',
            'b',
            "'",
          ),
          {
            maxLength: 12,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(nameish, (name) => {
        const once = normalisePersonName(name);
        expect(normalisePersonName(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('normaliseAddressLine', () => {
  it.each([
    ['123 North Main Street', '123 N MAIN ST'],
    ['123 Main Street North', '123 MAIN ST N'],
    ['456 Oak Avenue Apartment 12', '456 OAK AVE APT 12'],
    ['789 Elm St. #4', '789 ELM ST # 4'],
    ['10 Downing st., suite 200', '10 DOWNING ST STE 200'],
    ['P.O. Box 123', 'PO BOX 123'],
    ['Post Office Box 9', 'PO BOX 9'],
    ['1 Sunset Boulevard', '1 SUNSET BLVD'],
    ['Apartment 4B', 'APT 4B'],
    ['Unit 7', 'UNIT 7'],
    ['12 Avenue of the Americas', '12 AVENUE OF THE AMERICAS'],
    ['55 Calle Peñasco', '55 CALLE PENASCO'],
    ["7 O'Hare Way", '7 OHARE WAY'],
    ['100 North Street', '100 NORTH ST'],
    ['  42   lake shore   drive  ', '42 LAKE SHORE DR'],
    ['1600 Pennsylvania Ave NW', '1600 PENNSYLVANIA AVE NW'],
    ['12 north 12 WEST', '12 NORTH 12 W'],
  ])('%s -> %s', (input, expected) => {
    expect(normaliseAddressLine(input)).toBe(expected);
  });

  it('is idempotent', () => {
    const words = fc.constantFrom(
      '12',
      'north',
      'Main',
      'street',
      'St.',
      'Avenue',
      'apt',
      'Apartment',
      '#',
      '4B',
      'suite',
      'P.O.',
      'Box',
      'WEST',
      'Boulevard',
      'Unit',
      'Road',
      'é',
      "O'",
      '-',
      ',',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')),
          fc.string({ maxLength: 40 }),
        ),
        (line) => {
          const once = normaliseAddressLine(line);
          expect(normaliseAddressLine(once)).toBe(once);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('upper-cases cities in ASCII', () => {
    expect(normaliseCity('San Juan')).toBe('SAN JUAN');
    expect(normaliseCity('Cañon City')).toBe('CANON CITY');
    expect(normaliseCity("Coeur d'Alene")).toBe('COEUR DALENE');
    expect(normaliseCity('St. Louis')).toBe('ST LOUIS');
  });
});
