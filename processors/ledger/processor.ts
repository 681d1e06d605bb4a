import { defineProcessor } from '../../runtime/processor';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import type { SoldLead } from '../../schemas/routing-records';
import { TOPIC } from '../../topics/platform';
import { ledgerEntriesOf, saleEntriesOf } from './entries';

/**
 * ledger: assignments and leads.sold -> ledger, what each lead cost and earned, keyed by lead id.
 * It needs no state: the prices travel on the records (match sets the price paid and the sale,
 * assign the price charged), and each entry is written in the same transaction that commits the
 * offset of the record it comes from.
 */
export const ledgerProcessor = () =>
  defineProcessor<AssignmentEvent | SoldLead>({
    name: 'ledger',
    inputs: [TOPIC.assignments, TOPIC.leadsSold],
    outputs: [TOPIC.ledger],
    process(record, ctx) {
      const entries =
        record.topic === TOPIC.leadsSold
          ? saleEntriesOf(record.value as SoldLead)
          : ledgerEntriesOf(record.value as AssignmentEvent);
      for (const entry of entries) ctx.emit(TOPIC.ledger, entry.leadId, entry);
    },
  });
