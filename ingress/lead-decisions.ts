import type { Logger } from 'pino';
import type { RecordCodec } from '../runtime/codec';
import type { Follower, Transport } from '../runtime/transport';
import type { LeadDecision } from '../schemas/decision-records';
import { TOPIC } from '../topics/platform';

/**
 * What the pipeline decided about leads this process is waiting on (lead.decisions, followed from
 * its end: a decision record is small and holds no personal data). A synchronous submission
 * registers before it writes the lead, so no decision can come before its waiter.
 */
export class LeadDecisions {
  private readonly waiting = new Map<string, (decision: LeadDecision) => void>();
  private follower: Follower | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.codec.prepare([TOPIC.leadDecisions]);
    this.follower = this.transport.follow(
      TOPIC.leadDecisions,
      async (records) => {
        if (this.waiting.size === 0) return;
        for (const record of records) {
          try {
            const { key, value } = await this.codec.decode<LeadDecision>(record);
            this.waiting.get(key)?.(value);
          } catch (error) {
            this.log.warn(
              { err: error, offset: record.offset, partition: record.partition },
              'unreadable lead decision: a submission waiting for it times out',
            );
          }
        }
      },
      { from: 'end' },
    );
    await this.follower.ready;
  }

  /**
   * Registers a wait for the lead's decision; `decided` resolves with it, or null after `timeoutMs`.
   * Call before writing the lead.
   */
  expect(leadId: string, timeoutMs: number): { decided: Promise<LeadDecision | null>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      this.waiting.delete(leadId);
    };
    const decided = new Promise<LeadDecision | null>((resolve) => {
      timer = setTimeout(() => {
        done();
        resolve(null);
      }, timeoutMs);
      this.waiting.set(leadId, (decision) => {
        done();
        resolve(decision);
      });
    });
    return { decided, cancel: done };
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}
