/** The data keys the codec seals and opens personal fields with. */
export interface DataKeys {
  /** The lead's key for sealing, null once the lead is erased; throws MissingDataKeyError if unknown. */
  keyForWriting(leadId: string): Buffer | null;
  /** The lead's key for opening, null once the lead is erased; waits for one written moments ago. */
  keyForReading(leadId: string): Promise<Buffer | null>;
}

/** A lead whose data key this process cannot find: not written yet where it looked, or lost. */
export class MissingDataKeyError extends Error {
  override name = 'MissingDataKeyError';
  constructor(readonly leadId: string) {
    super(`no data key for lead ${leadId} on the key topic (written after the lead, or the topic lost it)`);
  }
}
