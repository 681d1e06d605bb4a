import { changelogEndOf, encodeCommitMetadata } from './commit-metadata';

describe('commit metadata', () => {
  test('the changelog end a commit wrote comes back', () => {
    expect(changelogEndOf(encodeCommitMetadata({ changelogEnd: 1234 }))).toBe(1234);
  });

  // Offsets set by tools, replays or older versions carry other metadata: no wait is asked for.
  test.each([null, undefined, '', 'null', '5', 'not json', '{"changelogEnd":"12"}', '{"changelogEnd":1.5}'])(
    'metadata %p names no changelog end',
    (metadata) => {
      expect(changelogEndOf(metadata)).toBeUndefined();
    },
  );
});
