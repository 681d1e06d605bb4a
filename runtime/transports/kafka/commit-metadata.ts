/**
 * What a commit writes beside each input offset it commits (the OffsetCommit metadata field):
 * the changelog offset its task's state reaches once the commit is complete.
 *
 * The broker ends a transaction by writing a marker on every partition it touched, one partition
 * after the other, and nothing orders the consumer offsets' marker before the changelog's. A new
 * owner can therefore find the offsets stable while the changelog's last stable offset still lies
 * before that commit's records: restoring then would pair the newest input position with older
 * state, and the task would do the commit's work again (an assignment event numbered twice). With
 * the changelog end next to the offsets, the restore waits until the changelog is stable that far.
 */
export interface CommitMetadata {
  /** Every changelog record of the task's partition before this offset is in the committed state. */
  changelogEnd: number;
}

export function encodeCommitMetadata(metadata: CommitMetadata): string {
  return JSON.stringify(metadata);
}

/** The changelog end a committed offset's metadata names; undefined for offsets set otherwise (tools, replays). */
export function changelogEndOf(metadata: string | null | undefined): number | undefined {
  if (!metadata) return undefined;
  try {
    const { changelogEnd } = JSON.parse(metadata) as Partial<CommitMetadata>;
    return Number.isSafeInteger(changelogEnd) ? changelogEnd : undefined;
  } catch {
    return undefined;
  }
}
