import { ok, fail, reason, type RuleResult } from './reasons';

const TEST_NAMES = new Set([
  'test',
  'testing',
  'asdf',
  'qwerty',
  'fake',
  'none',
  'na',
  'n/a',
  'unknown',
  'sample',
  'dummy',
  'abc',
  'xxx',
  'xx',
  'x',
]);

/**
 * A person's name: must have a letter and no digits or @; test-data names are a warning. A name
 * that fails is not quoted: it may be a phone or an email in the wrong column.
 */
export function checkName(input: string, field: string): RuleResult<string> {
  const name = input.trim();
  if (!/\p{L}/u.test(name)) return fail([reason('name_invalid', field, `${field} has no letters`)]);
  if (/[\p{Nd}@]/u.test(name)) {
    return fail([reason('name_invalid', field, `${field} has a digit or an @, so it is not a name`)]);
  }
  if (TEST_NAMES.has(name.toLowerCase())) {
    return ok(name, [reason('name_suspicious', field, `${JSON.stringify(name)} looks like test data`)]);
  }
  return ok(name);
}
