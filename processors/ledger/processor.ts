import { defineProcessor } from '../../runtime/processor';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { TOPIC } from '../../topics/platform';
import { ledgerEntriesOf } from './entries';

/**
 * ledger: assignments -> ledger, what each lead cost and earned, keyed by lead id. It needs no
 * state: the prices travel on the assignment events (match sets the price paid, assign the price
 * charged), and each entry is written in the same transaction that commits the event's offset.
 */
export const ledgerProcessor = () =>
  defineProcessor<AssignmentEvent>({
    name: 'ledger',
    inputs: [TOPIC.assignments],
    outputs: [TOPIC.ledger],
    process(record, ctx) {
      for (const entry of ledgerEntriesOf(record.value)) ctx.emit(TOPIC.ledger, entry.leadId, entry);
    },
  });
