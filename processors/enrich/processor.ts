import { defineProcessor } from '../../runtime/processor';
import type { ValidLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { enrichLead } from './enrich';

/**
 * enrich: geography, time zone and contact window from the offline ZIP data, age, normalised
 * names and addresses, and a data-quality score. Lookup misses are warnings on the lead.
 */
export const enrichProcessor = () =>
  defineProcessor<ValidLead>({
    name: 'enrich',
    inputs: [TOPIC.leadsValid],
    outputs: [TOPIC.leadsEnriched],
    process(record, ctx) {
      ctx.emit(TOPIC.leadsEnriched, record.key, enrichLead(record.value, ctx.now()));
    },
  });
