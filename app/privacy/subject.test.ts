import { SubjectQueryError } from '../../processors/erase/subjects';
import { subjectNeedles } from './subject';

describe('subjectNeedles', () => {
  test('a phone in every form vendors send, an email as given and as its identity', () => {
    expect(subjectNeedles({ email: 'Jane.Doe+quotes@GMail.com', phone: '(415) 867-5309' }).sort()).toEqual(
      [
        'jane.doe+quotes@gmail.com',
        'janedoe@gmail.com',
        '+14158675309',
        '4158675309',
        '415-867-5309',
        '415.867.5309',
        '415 867 5309',
        '(415) 867-5309',
        '(415)867-5309',
      ].sort(),
    );
  });

  test('refuses what names nobody, saying which field is wrong', () => {
    expect(() => subjectNeedles({})).toThrow(SubjectQueryError);
    expect(() => subjectNeedles({ email: 'not an email' })).toThrow(/^email: /);
    expect(() => subjectNeedles({ phone: '12' })).toThrow(/^phone: /);
  });
});
