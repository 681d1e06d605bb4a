/**
 * Vendor caps and schedules at ingress, with Redis shared by two API processes of one deployment,
 * on both transports: a campaign's daily cap and the vendor's, counted together across processes
 * and channels (single leads, batches, files), each refusal with its reason; a vendor outside its
 * schedule is refused; the topic holds exactly the leads let in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawLead } from '../../schemas/lead';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, transportsUnderTest } from '../support/harness';
import { redisGate, redisUrl } from '../support/services';
import { bearer, get, post, startApi, upload } from './support';

jest.setTimeout(180_000);

const gate = redisGate();

const lead = (campaign: string, n: number) => {
  const body = sampleLeadBody();
  body.source = { ...body.source, campaign, externalId: `caps-${campaign}-${n}` };
  return body;
};

for (const choice of transportsUnderTest()) {
  (choice.gate.run && gate.run ? describe : describe.skip)(`intake caps on ${choice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [choice.gate.reason, gate.reason]) if (reason) throw new Error(reason);
    });

    test('caps counted across processes and channels, refusals with reasons, schedules', async () => {
      const harness = choice.create();
      const transport = harness.connect();
      const registry = harness.registry(transport);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-caps-'));
      const economicsConfig = path.join(dir, 'economics.yaml');
      // harbor may send on every day of the week but today (UTC): always outside its schedule now.
      const today = ((new Date().getUTCDay() + 6) % 7) + 1;
      const otherDays = [1, 2, 3, 4, 5, 6, 7].filter((day) => day !== today);
      fs.writeFileSync(
        economicsConfig,
        `caps:
  vendors:
    - { vendor: acme, daily: 3 }
    - { vendor: acme, campaign: spring, daily: 1 }
schedules:
  - { vendor: harbor, timeZone: UTC, days: [${otherDays.join(', ')}], start: '00:00', end: '23:59' }
`,
      );
      const options = { appId: harness.prefix, redisUrl, economicsConfig };
      const first = await startApi(transport, registry, options);
      const second = await startApi(harness.connect(), registry, options);
      try {
        const acme = bearer((await first.vendor('acme')).apiKey);
        const harbor = bearer((await first.vendor('harbor')).apiKey);
        // Both processes know both vendors (a read that needs no read model: 503 once authenticated).
        for (const key of [acme, harbor]) {
          await eventually(
            async () => (await get(second.base, '/v1/leads/none', key)).status !== 401,
            30_000,
            'vendors known to the second API',
          );
        }

        // The campaign's cap of 1, counted across the two processes.
        expect((await post(first.base, '/v1/leads', lead('spring', 1), acme)).status).toBe(202);
        const overCampaign = await post(second.base, '/v1/leads', lead('spring', 2), acme);
        expect(overCampaign.status).toBe(422);
        expect(overCampaign.json).toMatchObject({
          error: 'cap_reached',
          message: expect.stringContaining("acme campaign spring's daily cap of 1 leads"),
          problems: [expect.objectContaining({ field: 'source', code: 'cap_reached' })],
        });

        // The vendor's cap of 3: one more single lead, then a batch of which only the first fits.
        expect((await post(second.base, '/v1/leads', lead('summer', 1), acme)).status).toBe(202);
        const batch = await post(
          first.base,
          '/v1/leads/batch',
          { leads: [2, 3, 4].map((n) => lead('summer', n)) },
          acme,
        );
        expect(batch.status).toBe(202);
        expect(batch.json.count).toBe(1);
        expect(batch.json.refused.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
          [1, 'cap_reached'],
          [2, 'cap_reached'],
        ]);
        expect(batch.json.refused[0].message).toContain("acme's daily cap of 3 leads");

        // A file: every row over the cap, reported by line.
        const file = [2, 3].map((n) => JSON.stringify(lead('autumn', n))).join('\n');
        const uploaded = await upload(second.base, 'leads.ndjson', file, acme);
        expect(uploaded.status).toBe(202);
        const status = (await get(second.base, `/v1/uploads/${uploaded.json.upload_id}`, acme)).json;
        expect(status).toMatchObject({ rows_read: 2, accepted: 0, refused: 2, unreadable: 0 });
        const report = await fetch(`${second.base}/v1/uploads/${uploaded.json.upload_id}/report.csv`, {
          headers: acme,
        });
        expect(
          (await report.text())
            .split('\n')
            .slice(1, 3)
            .map((line) => line.split(',').slice(0, 3).join(',')),
        ).toEqual(['1,,cap_reached', '2,,cap_reached']);

        // Outside the schedule.
        const outside = await post(first.base, '/v1/leads', lead('any', 1), harbor);
        expect(outside.status).toBe(422);
        expect(outside.json).toMatchObject({
          error: 'outside_schedule',
          message: expect.stringContaining('harbor sends leads on days'),
        });

        // On the topic: exactly the three leads let in.
        const { codec } = await codecFor(transport, platformCatalog(), [TOPIC.leadsRaw]);
        const raw = await readValues<RawLead>(transport, codec, TOPIC.leadsRaw);
        expect(raw.map((l) => l.vendorId)).toEqual(['acme', 'acme', 'acme']);
      } finally {
        await first.close();
        await second.close();
        await harness.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
