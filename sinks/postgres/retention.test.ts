import { consumed, leadJourney, leadRecords } from '../../test/sinks/records';
import { dataClassOf, TOPIC } from '../../topics/platform';
import { LEAD_EVENT_TOPICS, type Stage, toLeadEvent } from './lead-events';
import { CLASS_STAGES } from './retention';
import type { SoldLead } from '../../schemas/routing-records';
import { testLead } from '../../tools/routing-fixtures';

test("each class's stages are the stages its topics' records become, and no other topic's", () => {
  const { records } = leadJourney('L-1');
  // A lead ends rejected, or routed (the journey), or sold by ping-post instead of routed.
  const sold: SoldLead = {
    leadId: 'L-2',
    lead: testLead({ leadId: 'L-2' }),
    sale: {
      bidId: 'L-2',
      kind: 'exclusive',
      buyers: [{ buyerId: 'b', priceCents: 100 }],
      vendorPriceCents: 70,
      pingedAt: 0,
    },
    soldAt: 1_000,
  };
  const all = [
    ...records,
    consumed(TOPIC.leadsRejected, 'L-1', leadRecords('L-1').rejected, 0),
    consumed(TOPIC.leadsSold, 'L-2', sold, 0),
  ];
  expect(new Set(all.map((record) => record.topic))).toEqual(new Set(LEAD_EVENT_TOPICS));
  const stagesOf = new Map<string, Set<Stage>>();
  for (const record of all) {
    const dataClass = dataClassOf(record.topic) ?? 'no class';
    stagesOf.set(dataClass, (stagesOf.get(dataClass) ?? new Set()).add(toLeadEvent(record).stage));
  }
  const classless = stagesOf.get('no class')!;
  stagesOf.delete('no class');
  expect(Object.fromEntries([...stagesOf].map(([dataClass, stages]) => [dataClass, [...stages]]))).toEqual(
    CLASS_STAGES,
  );
  for (const stages of Object.values(CLASS_STAGES))
    expect(stages.filter((stage) => classless.has(stage))).toEqual([]);
});
