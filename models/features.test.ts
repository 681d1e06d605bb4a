import { encodeRow, featureNames, featureOwners, inferColumns, numericValue } from './features';

describe('feature spec', () => {
  const rows = [
    { kind: 'a', level: '3', amount: '10', code: '7' },
    { kind: 'a', level: '5', amount: '', code: '7' },
    { kind: 'b', level: '4', amount: '30', code: '12' },
    { kind: 'b', level: '4', amount: 'n/a', code: '12' },
    { kind: 'c', level: '4', amount: '20', code: '12' },
  ];

  test('text columns are categorical, numbers numeric, forced codes categorical', () => {
    const columns = inferColumns(rows, { categorical: ['code'], minLevelCount: 1 });
    const byName = Object.fromEntries(columns.map((c) => [c.column, c]));
    expect(byName.kind).toMatchObject({ kind: 'categorical', levels: ['b', 'c'] }); // 'a' ties 'b', sorts first: baseline
    expect(byName.code).toMatchObject({ kind: 'categorical', levels: ['7'] }); // '12' is the most common: baseline
    // "n/a" is not a number, so `amount` is read as categorical, like any column with text in it.
    expect(byName.amount?.kind).toBe('categorical');
    expect(byName.level).toMatchObject({ kind: 'numeric', mean: 4, missingFlag: false });
  });

  test('numeric columns are standardised, missing values imputed and flagged', () => {
    const numeric = [{ x: '1' }, { x: '3' }, { x: '' }, { x: '5' }];
    const [spec] = inferColumns(numeric);
    expect(spec).toMatchObject({ kind: 'numeric', mean: 3, missingFlag: true });
    expect(featureNames([spec!])).toEqual(['x', 'x:missing']);
    const scale = spec!.kind === 'numeric' ? spec!.scale : NaN;
    expect(scale).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(Array.from(encodeRow([spec!], { x: '5' }))).toEqual([(5 - 3) / scale, 0]);
    expect(Array.from(encodeRow([spec!], { x: 'garbage' }))).toEqual([0, 1]);
    expect(Array.from(encodeRow([spec!], {}))).toEqual([0, 1]);
  });

  test('rare and unseen levels share the all-zero baseline; constant columns are dropped', () => {
    const data = [
      ...Array.from({ length: 6 }, () => ({ c: 'common', k: '1' })),
      ...Array.from({ length: 5 }, () => ({ c: 'second', k: '1' })),
      { c: 'rare', k: '1' },
    ];
    const columns = inferColumns(data, { minLevelCount: 5 });
    expect(columns).toHaveLength(1);
    expect(columns[0]).toMatchObject({ column: 'c', levels: ['second'] });
    expect(Array.from(encodeRow(columns, { c: 'second' }))).toEqual([1]);
    expect(Array.from(encodeRow(columns, { c: 'rare' }))).toEqual([0]);
    expect(Array.from(encodeRow(columns, { c: 'never seen' }))).toEqual([0]);
    expect(featureOwners(columns)).toEqual([0]);
  });

  test('unknown categorical columns are reported', () => {
    expect(() => inferColumns(rows, { categorical: ['nope'] })).toThrow(/"nope" is not in the data/);
  });

  test('numericValue reads numbers, booleans and numeric text only', () => {
    expect(numericValue(' 2.5 ')).toBe(2.5);
    expect(numericValue(true)).toBe(1);
    expect(numericValue('')).toBeNull();
    expect(numericValue('1e400')).toBeNull();
    expect(numericValue(null)).toBeNull();
  });
});
