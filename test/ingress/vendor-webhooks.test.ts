/**
 * Status webhooks to vendors on both transports: signed, one per fact even when the facts come
 * again, none for vendors without a URL or for replayed records, each delivery in the log topic.
 */
import { createVendor, setVendorWebhook } from '../../ingress/auth/vendors';
import { type VendorNotification, vendorWebhooksProcessor } from '../../connectors/vendor-webhooks/processor';
import { httpReceiver } from '../support/receivers';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../connectors/notify/webhook';
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { testLead } from '../../tools/routing-fixtures';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import { HEADER } from '../../runtime/records';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';
import { leadRecords } from '../sinks/records';

jest.setTimeout(180_000);

const SECRET = 'vendor-webhook-test-secret';

function assignment(
  leadId: string,
  vendorId: string,
  n: number,
  type: AssignmentEvent['type'],
  outcome: AssignmentEvent['outcome'] = null,
): AssignmentEvent {
  return {
    eventId: `${leadId}:${n}`,
    leadId,
    type,
    routingGroup: 'west',
    agentId: 'a1',
    offerId: `${leadId}:1`,
    attempt: 1,
    strategy: 'best_match',
    at: Date.now(),
    matchedAt: Date.now(),
    expiresAt: null,
    escalation: null,
    reason: null,
    outcome,
    premiumUsd: null,
    rankScore: null,
    lead: testLead({ leadId, vendorId }),
  };
}

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`vendor webhooks on ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('accepted, rejected, assigned and converted reach the vendor once each, signed', async () => {
      const receiver = await httpReceiver();
      const harness = choice.create();
      const transport = harness.connect();
      const processors = [
        vendorWebhooksProcessor({
          secret: SECRET,
          retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100, timeoutMs: 5_000, laterMs: [] },
          retentionDays: 30,
        }),
      ] as Processor<never>[];
      const catalog = platformCatalog().withProcessors(harness.prefix, processors);
      await transport.applyTopics(catalog.all());
      const { codec, vault } = await codecFor(transport, catalog, [
        TOPIC.vendors,
        TOPIC.leadsValid,
        TOPIC.leadsRejected,
        TOPIC.assignments,
        TOPIC.vendorNotifications,
      ]);
      const now = Date.now();
      const withHook = setVendorWebhook(
        createVendor({ vendorId: 'hooked', name: 'Hooked', rateLimitPerMinute: null, now }).vendor,
        `${receiver.url}/leadflow`,
      );
      const silent = createVendor({
        vendorId: 'silent',
        name: 'Silent',
        rateLimitPerMinute: null,
        now,
      }).vendor;
      await transport.produce([
        codec.encode(TOPIC.vendors, withHook.vendorId, withHook),
        codec.encode(TOPIC.vendors, silent.vendorId, silent),
      ]);
      const pipeline = await Pipeline.start({
        appId: harness.prefix,
        transport,
        keys: vault,
        registry: harness.registry(transport),
        catalog: platformCatalog(),
        processors,
        log: testLog,
      });
      try {
        const sold = leadRecords('W-1', 'hooked');
        const rejected = leadRecords('W-2', 'hooked').rejected;
        const quiet = leadRecords('W-3', 'silent');
        const facts = () => [
          codec.encode(TOPIC.leadsValid, 'W-1', sold.valid),
          codec.encode(TOPIC.leadsRejected, 'W-2', rejected),
          codec.encode(TOPIC.leadsValid, 'W-3', quiet.valid),
          codec.encode(TOPIC.assignments, 'W-1', assignment('W-1', 'hooked', 1, 'offered')),
          codec.encode(TOPIC.assignments, 'W-1', assignment('W-1', 'hooked', 2, 'accepted')),
          codec.encode(TOPIC.assignments, 'W-1', assignment('W-1', 'hooked', 3, 'completed', 'sold')),
        ];
        await transport.produce(facts());
        await eventually(() => receiver.requests.length >= 4, 60_000, 'four webhooks');
        // The same facts again, and one replayed: nothing new is sent.
        await transport.produce([
          ...facts(),
          codec.encode(TOPIC.leadsValid, 'W-4', leadRecords('W-4', 'hooked').valid, { [HEADER.replay]: '1' }),
        ]);
        await pipeline.waitIdle(60_000);

        const received = receiver.requests.map(
          (r) => JSON.parse(r.body) as { type: string; lead_id: string; reasons: { code: string }[] },
        );
        expect(received.map((r) => `${r.type} ${r.lead_id}`).sort()).toEqual([
          'lead.accepted W-1',
          'lead.assigned W-1',
          'lead.converted W-1',
          'lead.rejected W-2',
        ]);
        expect(received.find((r) => r.type === 'lead.rejected')!.reasons.map((r) => r.code)).toEqual([
          'duplicate_contact',
        ]);
        for (const request of receiver.requests) {
          expect(request.path).toBe('/leadflow');
          const signature = request.headers[SIGNATURE_HEADER] as string;
          expect(verifyWebhookSignature(SECRET, signature, request.body)).toBe(true);
          expect(verifyWebhookSignature('another-secret-entirely', signature, request.body)).toBe(false);
        }
        expect(new Set(receiver.requests.map((r) => r.headers[DELIVERY_HEADER])).size).toBe(4);
        const log = await readValues<VendorNotification>(transport, codec, TOPIC.vendorNotifications);
        expect(log.map((n) => [n.type, n.leadId, n.vendorId, n.status, n.statusCode]).sort()).toEqual([
          ['lead.accepted', 'W-1', 'hooked', 'delivered', 200],
          ['lead.assigned', 'W-1', 'hooked', 'delivered', 200],
          ['lead.converted', 'W-1', 'hooked', 'delivered', 200],
          ['lead.rejected', 'W-2', 'hooked', 'delivered', 200],
        ]);
      } finally {
        await pipeline.stop();
        await harness.dispose();
        await receiver.close();
      }
    });
  });
}
