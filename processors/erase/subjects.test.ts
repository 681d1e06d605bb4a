import { SAMPLE_NOW, sampleLeadBody } from '../../schemas/lead-samples';
import { toRawLead } from '../../schemas/raw-lead';
import { testBlind } from '../../test/support/privacy';
import { identityKey } from '../validate/identities';
import { erasureRequest, SubjectQueryError, subjectKeysOfLead } from './subjects';

const phoneKey = identityKey('phone', '+14158675309', testBlind);
const emailKey = identityKey('email', 'janeobrien@gmail.com', testBlind);

describe('subjectKeysOfLead', () => {
  test("a lead is indexed under its phone's and email's blind indexes, however they were written", () => {
    const raw = toRawLead(sampleLeadBody(), { vendorId: 'v', channel: 'api', receivedAt: SAMPLE_NOW });
    expect(subjectKeysOfLead(raw, testBlind)).toEqual([phoneKey, emailKey]);
  });

  test('a body the input schema refused is indexed from what it sent', () => {
    const body = { contact: { phone: '415.867.5309', email: 'Jane.OBrien+x@gmail.com' }, line: 'boat' };
    const raw = toRawLead(body, { vendorId: 'v', channel: 'api', receivedAt: SAMPLE_NOW });
    expect(raw.lead).toBeNull();
    expect(subjectKeysOfLead(raw, testBlind)).toEqual([phoneKey, emailKey]);
    const unreadable = toRawLead('not json at all', {
      vendorId: 'v',
      channel: 'api',
      receivedAt: SAMPLE_NOW,
    });
    expect(subjectKeysOfLead(unreadable, testBlind)).toEqual([]);
  });
});

describe('erasureRequest', () => {
  test('one record per identity named, under one request id, keyed like the leads', () => {
    const { requestId, records } = erasureRequest(
      { email: 'JaneOBrien@googlemail.com', phone: '(415) 867-5309' },
      testBlind,
      'admin:ops',
      SAMPLE_NOW,
    );
    expect(records.map((r) => r.key)).toEqual([emailKey, phoneKey]);
    for (const { value } of records)
      expect(value).toEqual({
        kind: 'erase',
        leadId: null,
        requestId,
        parts: 2,
        requestedBy: 'admin:ops',
        at: SAMPLE_NOW,
      });
  });

  test('names the field it cannot read, and asks for someone', () => {
    const fieldOf = (query: Parameters<typeof erasureRequest>[0]) => {
      try {
        erasureRequest(query, testBlind, 'cli', SAMPLE_NOW);
        return 'accepted';
      } catch (error) {
        return (error as SubjectQueryError).field;
      }
    };
    expect(fieldOf({ email: 'nope' })).toBe('email');
    expect(fieldOf({ email: 'a@b.co', phone: '12' })).toBe('phone');
    expect(fieldOf({})).toBeNull();
  });
});
