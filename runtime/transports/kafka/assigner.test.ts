import { coPartitionedAssignment } from './assigner';

const inputs = new Map([
  ['leads', [0, 1, 2, 3, 4, 5]],
  ['do-not-contact', [0, 1, 2, 3, 4, 5]],
]);

/** member owning each partition number, per topic; fails if one number is split */
function ownerOfEachPartition(assignment: ReturnType<typeof coPartitionedAssignment>) {
  const owners = new Map<number, Set<string>>();
  for (const [member, topics] of assignment) {
    for (const partitions of Object.values(topics)) {
      for (const p of partitions) owners.set(p, (owners.get(p) ?? new Set()).add(member));
    }
  }
  return owners;
}

describe('coPartitionedAssignment', () => {
  test.each([1, 2, 3, 4, 5, 6, 7])('keeps partition p of every input on one member, with %i members', (n) => {
    const members = Array.from({ length: n }, (_, i) => `member-${i}`);
    const assignment = coPartitionedAssignment(members, inputs);
    const owners = ownerOfEachPartition(assignment);
    expect([...owners.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const holders of owners.values()) expect(holders.size).toBe(1);
    for (const topics of assignment.values()) {
      expect(topics['leads'] ?? []).toEqual(topics['do-not-contact'] ?? []);
    }
  });

  test('spreads the partitions evenly: no member has two more than another', () => {
    const assignment = coPartitionedAssignment(['c', 'a', 'b', 'd'], inputs);
    const counts = [...assignment.values()].map((t) => (t['leads'] ?? []).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b)).toBe(6);
  });

  test('gives a topic with fewer partitions only the numbers it has', () => {
    const assignment = coPartitionedAssignment(
      ['a', 'b'],
      new Map([
        ['wide', [0, 1, 2, 3]],
        ['narrow', [0]],
      ]),
    );
    expect(assignment.get('a')).toEqual({ wide: [0, 2], narrow: [0] });
    expect(assignment.get('b')).toEqual({ wide: [1, 3] });
  });
});
