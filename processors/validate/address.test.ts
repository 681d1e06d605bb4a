import { parseLeadInput } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { checkZipState, parseZip } from './address';

const outcome = (zip: string, state: string) => {
  const result = checkZipState(zip, state);
  return {
    value: result.value,
    reasons: result.reasons.map((r) => r.code),
    warnings: result.warnings.map((r) => r.code),
  };
};

describe('checkZipState', () => {
  it.each([
    // [zip, state, zip5, plus4, reasons, warnings]
    ['94103', 'CA', '94103', null, [], []],
    ['94103-1234', 'CA', '94103', '1234', [], []],
    ['94103 1234', 'CA', '94103', '1234', [], []],
    ['941031234', 'CA', '94103', '1234', [], []],
    ['94103-0000', 'CA', '94103', null, [], []],
    ['02134', 'MA', '02134', null, [], []],
    ['00501', 'NY', '00501', null, [], []], // IRS Holtsville: a unique ZIP, no ZCTA
    ['85001', 'AZ', '85001', null, [], []], // PO boxes in downtown Phoenix
    // territories
    ['00601', 'PR', '00601', null, [], []],
    ['00802', 'VI', '00802', null, [], []],
    ['96910', 'GU', '96910', null, [], []],
    ['96799', 'AS', '96799', null, [], []],
    ['96950', 'MP', '96950', null, [], []],
    ['96960', 'MH', '96960', null, [], []],
    // military: AA (Americas), AE (Europe, Middle East, Africa, Canada), AP (Pacific)
    ['34002', 'AA', '34002', null, [], []],
    ['09001', 'AE', '09001', null, [], []],
    ['96201', 'AP', '96201', null, [], []],
    ['09015', 'AE', '09015', null, [], ['zip_not_in_dataset']],
    ['96208', 'AP', '96208', null, [], ['zip_not_in_dataset']],
    ['09015', 'AP', null, null, ['zip_state_mismatch'], []],
    // rejections
    ['02134', 'NY', null, null, ['zip_state_mismatch'], []],
    ['09001', 'NY', null, null, ['zip_state_mismatch'], []],
    ['00601', 'FL', null, null, ['zip_state_mismatch'], []],
    ['00000', 'NY', null, null, ['zip_unknown'], []],
    ['99999', 'AK', '99999', null, [], ['zip_not_in_dataset']], // in Ketchikan's 999 range
    ['99999', 'CA', null, null, ['zip_state_mismatch'], []],
    ['2134', 'MA', null, null, ['zip_invalid'], []],
    ['ABCDE', 'MA', null, null, ['zip_invalid'], []],
    ['94103', 'XX', null, null, ['state_invalid'], []],
    ['zip', 'XX', null, null, ['state_invalid', 'zip_invalid'], []],
  ])('%s/%s', (zip, state, zip5, plus4, reasons, warnings) => {
    expect(outcome(zip, state)).toEqual({
      value: zip5 ? { state, zip: zip5, zipPlus4: plus4 } : null,
      reasons,
      warnings,
    });
  });

  it('accepts the leading-zero ZIP a vendor sent as a number, after the input schema', () => {
    const body = sampleLeadBody();
    const parsed = parseLeadInput({ ...body, contact: { ...body.contact, zip: 2134, state: 'ma' } });
    if (!parsed.ok) throw new Error('does not parse');
    expect(outcome(parsed.lead.contact.zip, parsed.lead.contact.state).value).toEqual({
      state: 'MA',
      zip: '02134',
      zipPlus4: null,
    });
  });

  it('parses ZIP and ZIP+4 only', () => {
    expect(parseZip('12345-6789')).toEqual({ zip: '12345', plus4: '6789' });
    expect(parseZip('12345-67')).toBeNull();
    expect(parseZip('123456')).toBeNull();
  });
});
