/**
 * The notify stage on both transports, with real receivers on loopback: offers reach the agent
 * on every channel it chose, the delivery log records them, lapsed offers are not sent, and a
 * replay of the assignments topic notifies nobody twice.
 */
import type { AssignmentEvent } from '../../schemas/assignment-records';
import { testAgent, testLead } from '../../tools/routing-fixtures';
import { Pipeline } from '../../runtime/pipeline';
import { groupId } from '../../runtime/transport';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../../test/support/harness';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { smtpSender } from './email';
import type { NotificationRecord, NotifyChannels } from './notifier';
import { notifyProcessor } from './processor';
import { httpReceiver, smtpReceiver } from '../../test/support/receivers';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from './webhook';

jest.setTimeout(180_000);

const SECRET = 'whsec-notify-test-secret';

function offer(eventId: string, type: AssignmentEvent['type'], expiresAt: number | null): AssignmentEvent {
  const leadId = eventId.split(':')[0]!;
  return {
    eventId,
    leadId,
    type,
    routingGroup: 'west',
    agentId: 'ana',
    offerId: `${leadId}:1`,
    attempt: 1,
    strategy: 'best_match',
    at: Date.now(),
    matchedAt: Date.now(),
    expiresAt,
    escalation: null,
    reason: null,
    outcome: null,
    rankScore: 7.5,
    lead: testLead({ leadId }),
  };
}

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`notify stage: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    test('delivers offers on every channel once, logs them, skips lapsed ones and survives a replay', async () => {
      const harness = choice.create();
      // Down for the first round's three attempts: the offer is parked and goes through a round later.
      const webhooks = await httpReceiver((n) => ({ status: n < 3 ? 503 : 200 }));
      const sms = await httpReceiver(() => ({ status: 201 }));
      const smtp = await smtpReceiver();
      const email = smtpSender(smtp.url, 'leadflow <offers@leadflow.test>', 5000);
      try {
        const transport = harness.connect();
        const channels: NotifyChannels = {
          webhookSecret: SECRET,
          email,
          sms: { baseUrl: sms.url, accountSid: 'AC1', authToken: 'token', from: '+15005550006' },
          retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 3000, laterMs: [300] },
        };
        const notify = notifyProcessor(channels, 30);
        const catalog = platformCatalog();
        await transport.applyTopics(catalog.withProcessors(harness.prefix, [notify as never]).all());
        const { codec } = await codecFor(transport, catalog, [TOPIC.agents, TOPIC.assignments]);
        const agent = testAgent({
          agentId: 'ana',
          phone: '+14155552671',
          webhookUrl: `${webhooks.url}/offers`,
          notify: ['webhook', 'email', 'sms'],
        });
        await transport.produce([codec.encode(TOPIC.agents, agent.agentId, agent)]);
        const start = () =>
          Pipeline.start({
            appId: harness.prefix,
            transport,
            registry: harness.registry(transport),
            catalog,
            processors: [notify as never],
            log: testLog,
          });
        let pipeline = await start();
        const events = [
          offer('L1:1', 'offered', Date.now() + 10 * 60_000),
          offer('L2:1', 'offered', Date.now() - 1000), // lapsed before it was read
          { ...offer('L1:2', 'accepted', null) },
        ];
        await transport.produce(events.map((e) => codec.encode(TOPIC.assignments, e.leadId, e)));
        await eventually(
          async () => (await transport.read(TOPIC.assignmentNotifications)).length === 6,
          60_000,
          'the delivery log',
        );
        await pipeline.waitIdle();

        expect(webhooks.requests.map((r) => r.headers[DELIVERY_HEADER])).toEqual(
          new Array(4).fill('L1:1/webhook'),
        );
        const hook = webhooks.requests[3]!;
        expect(hook.path).toBe('/offers');
        expect(verifyWebhookSignature(SECRET, hook.headers[SIGNATURE_HEADER] as string, hook.body)).toBe(
          true,
        );
        expect(JSON.parse(hook.body)).toMatchObject({ eventId: 'L1:1', type: 'offered', offerId: 'L1:1' });
        expect(sms.requests).toHaveLength(1);
        expect(new URLSearchParams(sms.requests[0]!.body).get('To')).toBe('+14155552671');
        expect(smtp.messages).toHaveLength(1);
        expect(smtp.messages[0]!.to).toEqual(['ana@agents.example']);
        expect(smtp.messages[0]!.data).toMatch(/Subject: New auto lead in San Francisco, CA \(tier B\)/);

        const log = await readValues<NotificationRecord>(transport, codec, TOPIC.assignmentNotifications);
        const status = Object.fromEntries(log.map((r) => [r.deliveryKey, r.status]));
        expect(status).toEqual({
          'L1:1/webhook': 'delivered',
          'L1:1/email': 'delivered',
          'L1:1/sms': 'delivered',
          'L2:1/webhook': 'skipped',
          'L2:1/email': 'skipped',
          'L2:1/sms': 'skipped',
        });
        // The log names no recipient.
        expect(JSON.stringify(log)).not.toMatch(/ana@agents\.example|4155552671|127\.0\.0\.1/);

        // Replay: the stage reads the assignments topic again from the start.
        await pipeline.stop();
        const group = groupId(harness.prefix, 'notify');
        const partitions = (await transport.describeTopics([TOPIC.assignments]))[0]!.partitions;
        await eventually(
          async () => {
            try {
              await transport.setCommittedOffsets(
                group,
                TOPIC.assignments,
                Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 0 })),
              );
              return true;
            } catch {
              return false; // the stopped member may still count as live for a moment
            }
          },
          60_000,
          'the group to become empty',
        );
        expect(await transport.committedOffsets(group, TOPIC.assignments)).toEqual(
          new Array(partitions).fill(0),
        );
        pipeline = await start();
        await pipeline.waitIdle();
        await new Promise((resolve) => setTimeout(resolve, 500));
        await pipeline.waitIdle();
        const committed = await transport.committedOffsets(group, TOPIC.assignments);
        const ends = (await transport.describeTopics([TOPIC.assignments]))[0]!.endOffsets;
        expect(committed).toEqual(ends);
        expect(webhooks.requests).toHaveLength(4);
        expect(sms.requests).toHaveLength(1);
        expect(smtp.messages).toHaveLength(1);
        expect(await transport.read(TOPIC.assignmentNotifications)).toHaveLength(6);
        await pipeline.stop();
      } finally {
        email.close();
        await Promise.all([webhooks.close(), sms.close(), smtp.close()]);
        await harness.dispose();
      }
    });
  });
}
