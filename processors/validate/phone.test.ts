import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { checkPhone, convertVanity, phoneIdentity, splitExtension } from './phone';

const codes = (input: string) => {
  const result = checkPhone(input);
  return {
    value: result.value?.e164 ?? null,
    reasons: result.reasons.map((r) => r.code),
    warnings: result.warnings.map((r) => r.code),
  };
};

describe('checkPhone', () => {
  it.each([
    // [input, E.164 or null, rejection codes, warning codes]
    ['(415) 867-5309', '+14158675309', [], []],
    ['415-867-5309', '+14158675309', [], []],
    ['415.867.5309', '+14158675309', [], []],
    ['4158675309', '+14158675309', [], []],
    ['1 415 867 5309', '+14158675309', [], []],
    ['+1 (415) 867-5309', '+14158675309', [], []],
    ['+14158675309', '+14158675309', [], []],
    ['011 1 415 867 5309', '+14158675309', [], []],
    ['  415 867 5309  ', '+14158675309', [], []],
    ['415-867-5309 ext. 45', '+14158675309', [], ['phone_has_extension']],
    ['415.867.5309 x123', '+14158675309', [], ['phone_has_extension']],
    ['(415) 867-5309 #7', '+14158675309', [], ['phone_has_extension']],
    ['415-GET-HELP', '+14154384357', [], ['phone_vanity']],
    // Puerto Rico, Guam, US Virgin Islands: NANP and US
    ['787-722-1234', '+17877221234', [], []],
    ['+1 671 472 1234', '+16714721234', [], []],
    ['340-774-1234', '+13407741234', [], []],
    // American Samoa numbers are typed: a fixed line is a warning, not a rejection
    ['+1 684 633 1234', '+16846331234', [], ['phone_landline']],
    ['212-555-1234', '+12125551234', [], ['phone_555_exchange']],
    // rejections
    ['212-555-0123', null, ['phone_fictitious'], []],
    ['(202) 555-0199', null, ['phone_fictitious'], []],
    ['1-800-FLOWERS', null, ['phone_toll_free'], ['phone_vanity']],
    ['1-800-356-9377', null, ['phone_toll_free'], []],
    ['888 555 1234', null, ['phone_toll_free'], []],
    ['900-555-1234', null, ['phone_premium_rate'], []],
    ['500-234-5678', null, ['phone_personal_number'], []],
    ['123-456-7890', null, ['phone_invalid'], []],
    ['911-234-5678', null, ['phone_invalid'], []],
    ['415-867-530', null, ['phone_invalid'], []],
    ['415-867-53091', null, ['phone_invalid'], []],
    ['n/a', null, ['phone_invalid'], []],
    ['call me', null, ['phone_invalid'], []],
    ['+44 20 7946 0958', null, ['phone_not_us'], []],
    ['+52 55 1234 5678', null, ['phone_not_us'], []],
    ['+1 416 555 1234', null, ['phone_not_us'], []],
    ['+1 876 927 1234', null, ['phone_not_us'], []],
  ])('%s -> %s %j %j', (input, e164, reasons, warnings) => {
    expect(codes(input)).toEqual({ value: e164, reasons, warnings });
  });

  it('gives the line type from the max metadata', () => {
    expect(checkPhone('4158675309').value?.lineType).toBe('fixed_line_or_mobile');
    expect(checkPhone('+1 684 733 1234').value?.lineType).toBe('mobile');
    expect(checkPhone('+1 684 633 1234').value?.lineType).toBe('fixed_line');
  });

  it('keeps the extension apart', () => {
    expect(checkPhone('415-867-5309 extension 12').value).toMatchObject({
      e164: '+14158675309',
      extension: '12',
    });
    expect(splitExtension('415-867-5309')).toEqual({ number: '415-867-5309', extension: null });
  });

  it('converts vanity numbers with the keypad, dropping extra letters', () => {
    expect(convertVanity('1-800-FLOWERS')).toBe('+18003569377');
    expect(convertVanity('1-800-MATTRESS')).toBe('+18006288737');
    expect(convertVanity('415-867-5309')).toBeNull();
    expect(convertVanity('CALL-ME')).toBeNull();
  });

  /** Valid US numbers as libphonenumber sees them: NXX-NXX-XXXX, not toll-free, 555-01XX or 5XX/900. */
  const usNumber = fc
    .tuple(
      fc.integer({ min: 200, max: 999 }),
      fc.integer({ min: 200, max: 999 }),
      fc.integer({ min: 0, max: 9999 }),
    )
    .map(([a, e, l]) => `+1${a}${e}${String(l).padStart(4, '0')}`)
    .filter((e164) => {
      const parsed = parsePhoneNumberFromString(e164);
      const area = e164.slice(2, 5);
      return (
        !!parsed?.isValid() &&
        ['US', 'PR', 'VI', 'GU', 'AS', 'MP'].includes(parsed.country ?? '') &&
        !/^(8(00|33|44|55|66|77|88)|900|5\d\d)$/.test(area) &&
        !/^55501/.test(e164.slice(5))
      );
    });

  it('round-trips any valid US number in any common format', () => {
    fc.assert(
      fc.property(usNumber, fc.integer({ min: 0, max: 5 }), (e164, style) => {
        const [a, e, l] = [e164.slice(2, 5), e164.slice(5, 8), e164.slice(8)];
        const text = [
          `(${a}) ${e}-${l}`,
          `${a}-${e}-${l}`,
          `${a}${e}${l}`,
          `1${a}${e}${l}`,
          `+1 ${a}.${e}.${l}`,
          e164,
        ][style]!;
        const result = checkPhone(text);
        expect(result.reasons).toEqual([]);
        expect(result.value?.e164).toBe(e164);
        expect(checkPhone(result.value!.e164).value?.e164).toBe(e164);
        expect(phoneIdentity(text)).toBe(e164);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and always explains a rejection', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const result = checkPhone(text);
        expect(result.value === null).toBe(result.reasons.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('phoneIdentity', () => {
  it('is the E.164 without extension, for any +1 number', () => {
    expect(phoneIdentity('(415) 867-5309 x12')).toBe('+14158675309');
    expect(phoneIdentity('1-800-FLOWERS')).toBe('+18003569377');
    expect(phoneIdentity('+44 20 7946 0958')).toBeNull();
    expect(phoneIdentity('nope')).toBeNull();
  });
});
