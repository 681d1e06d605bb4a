import { AssignerProtocol, type PartitionAssigner, PartitionAssigners } from 'kafkajs';

/** partition ids per topic, per member id */
export type Assignment = Map<string, Record<string, number[]>>;

/**
 * Spreads partition numbers, not topic-partitions, over the members: whoever gets partition p
 * gets partition p of every subscribed topic. A task is one partition number across all of a
 * processor's inputs (a screen reads its leads and the do-not-contact list, assign reads matched
 * leads and agent responses), so its inputs must stay together. kafkajs's round-robin deals
 * topic-partitions one by one: with 6 partitions over 4 members, leads-3 and do-not-contact-3
 * land on different members, and both then build task 3 and fence each other's producer in turn.
 */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  partitionsByTopic: ReadonlyMap<string, readonly number[]>,
): Assignment {
  const members = [...memberIds].sort();
  const numbers = [...new Set([...partitionsByTopic.values()].flat())].sort((a, b) => a - b);
  const assignment: Assignment = new Map(members.map((m) => [m, {}]));
  numbers.forEach((partition, i) => {
    const owned = assignment.get(members[i % members.length]!)!;
    for (const [topic, partitions] of partitionsByTopic) {
      if (partitions.includes(partition)) (owned[topic] ??= []).push(partition);
    }
  });
  return assignment;
}

const NAME = 'LeadflowCoPartitioned';

/**
 * The assigner every processor's consumer offers first. Round-robin stays on the list after it,
 * so a group whose members are mid-upgrade still agrees on a protocol.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: NAME,
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic = new Map(
      topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId)]),
    );
    const assignment = coPartitionedAssignment(
      members.map((m) => m.memberId),
      partitionsByTopic,
    );
    return [...assignment].map(([memberId, owned]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: owned,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});

export const PROCESSOR_ASSIGNERS = [coPartitionedAssigner, PartitionAssigners.roundRobin];
