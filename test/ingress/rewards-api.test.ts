/**
 * The partner and community API over real HTTP, with the reward stages and their read models
 * running behind it (embedded log, PGlite): happy paths and denials.
 */
import { issueToken, type Role } from '../../ingress/auth/tokens';
import { rewardLeadsProcessor, rewardProcessor } from '../../processors/reward/processor';
import { DEFAULT_REWARDS_CONFIG } from '../../processors/reward/config';
import type { Partner } from '../../schemas/reward-records';
import type { LeadOutcomeEvent } from '../../schemas/score-records';
import { Pipeline } from '../../runtime/pipeline';
import type { Processor } from '../../runtime/processor';
import { sampleLeadBody } from '../../schemas/lead-samples';
import { rewardSinks } from '../../sinks/postgres/rewards';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../support/harness';
import { databasesUnderTest, removePgliteTemplate } from '../sinks/databases';
import { openTestVault } from '../support/privacy';
import { bearer, get, JWT_SECRET, post, startApi } from './support';

jest.setTimeout(180_000);

afterAll(() => removePgliteTemplate());

const as = (role: Role, subject: string) =>
  bearer(issueToken(JWT_SECRET, { subject, role, scopes: [], ttlSeconds: 600 }));

async function patch(base: string, path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${base}${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

for (const transportChoice of transportsUnderTest()) {
  // On Kafka the read models live in PostgreSQL (see openSinkDatabase).
  const databaseChoice = databasesUnderTest().find(
    (d) => d.kind === (transportChoice.kind === 'embedded' ? 'pglite' : 'postgres'),
  )!;
  const gate = transportChoice.gate.run && databaseChoice.gate.run;
  (gate ? describe : describe.skip)(`partner and community API on ${transportChoice.kind}`, () => {
    beforeAll(() => {
      for (const reason of [transportChoice.gate.reason, databaseChoice.gate.reason])
        if (reason) throw new Error(reason);
    });
    test('partners refer and read their rewards; agents post, like and see tiers and leaderboards', () =>
      partnerAndCommunityFlow(transportChoice, databaseChoice));
  });
}

async function partnerAndCommunityFlow(
  transportChoice: ReturnType<typeof transportsUnderTest>[number],
  databaseChoice: ReturnType<typeof databasesUnderTest>[number],
) {
  const harness = transportChoice.create();
  const { db, dispose } = await databaseChoice.open();
  const transport = harness.connect();
  const registry = harness.registry(transport);
  const pipeline = await Pipeline.start({
    appId: harness.prefix,
    transport,
    keys: await openTestVault(transport),
    registry,
    catalog: platformCatalog(),
    processors: [
      rewardLeadsProcessor(DEFAULT_REWARDS_CONFIG),
      rewardProcessor(DEFAULT_REWARDS_CONFIG),
      ...rewardSinks(db, (_log, write) => write()),
    ] as Processor<never>[],
    log: testLog,
  });
  const api = await startApi(transport, registry, { appId: harness.prefix, readModels: db });
  const { codec } = await codecFor(transport, platformCatalog(), [TOPIC.leadOutcomes]);
  const admin = as('admin', 'ops-1');
  const p1 = as('partner', 'p1');
  try {
    // Registration: admins only; payout details reduced to method, last four and a fingerprint.
    const registration = {
      partner_id: 'p1',
      name: 'Harbor',
      payout: { method: 'ach', account: '0012345678' },
    };
    expect((await post(api.base, '/v1/partners', registration)).status).toBe(401);
    expect((await post(api.base, '/v1/partners', registration, p1)).status).toBe(403);
    const bad = await post(
      api.base,
      '/v1/partners',
      { partner_id: 'p 1', payout: { method: 'cash' } },
      admin,
    );
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { field: string }) => p.field).sort()).toEqual([
      'name',
      'partner_id',
      'payout.account',
      'payout.method',
    ]);
    expect(await post(api.base, '/v1/partners', registration, admin)).toMatchObject({
      status: 201,
      json: { partner_id: 'p1', status: 'active' },
    });
    await eventually(() => api.ingress.api.rewards.partner('p1') !== undefined, 30_000, 'partner p1');
    expect((await post(api.base, '/v1/partners', registration, admin)).status).toBe(409);
    const [stored] = await readValues<Partner>(transport, codec, TOPIC.partners);
    expect(stored!.payout).toEqual({
      method: 'ach',
      last4: '5678',
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(stored)).not.toContain('0012345678');

    // Referrals: a partner for itself, of a contact (becomes a lead) or of a lead id.
    const contact = await post(api.base, '/v1/partners/p1/referrals', { lead: sampleLeadBody() }, p1);
    expect(contact).toMatchObject({ status: 202, json: { status: 'submitted' } });
    const raw = await readValues<{ leadId: string; vendorId: string }>(transport, codec, TOPIC.leadsRaw);
    expect(raw).toEqual([
      expect.objectContaining({ leadId: contact.json.lead_id, vendorId: 'partner-referrals' }),
    ]);
    expect((await post(api.base, '/v1/partners/p1/referrals', { lead_id: 'L-sold' }, p1)).status).toBe(202);
    expect(
      (await post(api.base, '/v1/partners/p1/referrals', { lead_id: 'L-x' }, as('partner', 'p2'))).status,
    ).toBe(403);
    expect((await post(api.base, '/v1/partners/p9/referrals', { lead_id: 'L-x' }, admin)).status).toBe(404);
    const both = await post(api.base, '/v1/partners/p1/referrals', { lead_id: 'L-y', lead: {} }, p1);
    expect(both).toMatchObject({ status: 400, json: { problems: [{ field: 'lead_id' }] } });
    const badLead = await post(api.base, '/v1/partners/p1/referrals', { lead: { contact: {} } }, p1);
    expect(badLead.status).toBe(400);
    expect(badLead.json.problems[0].field).toMatch(/^lead\./);
    expect((await patch(api.base, '/v1/partners/p1', { status: 'suspended' }, p1)).status).toBe(403);

    const sold: LeadOutcomeEvent = {
      eventId: 'o-1',
      leadId: 'L-sold',
      status: 'sold',
      at: Date.now(),
      agentId: 'a1',
      premiumUsd: 1000,
      reason: null,
    };
    await transport.produce([codec.encode(TOPIC.leadOutcomes, sold.leadId, sold)]);

    // Community: agents post, like and comment; only stories can be featured, by admins.
    const a1 = as('agent', 'a1');
    const a2 = as('agent', 'a2');
    const postBody = { category: 'tips', title: 'Call before noon', body: 'Works for me.' };
    expect((await post(api.base, '/v1/community/posts', postBody, p1)).status).toBe(403);
    const posted = await post(api.base, '/v1/community/posts', postBody, a1);
    expect(posted).toMatchObject({ status: 202, json: { status: 'accepted' } });
    const story = await post(
      api.base,
      '/v1/community/posts',
      { ...postBody, kind: 'story', category: 'success' },
      a2,
    );
    const postPath = `/v1/community/posts/${posted.json.post_id}`;
    await eventually(
      async () => (await get(api.base, '/v1/community/posts', a1)).json.posts?.length === 2,
      30_000,
      'the posts in the read models',
    );
    expect((await post(api.base, `${postPath}/likes`, {}, a2)).status).toBe(202);
    expect((await post(api.base, `${postPath}/likes`, {}, a1)).status).toBe(202);
    expect((await post(api.base, `${postPath}/comments`, { body: 'Agreed' }, a2)).status).toBe(202);
    expect((await post(api.base, `${postPath}/comments`, { body: '' }, a2)).json.problems[0].field).toBe(
      'body',
    );
    expect((await post(api.base, '/v1/community/posts/nope/likes', {}, a2)).status).toBe(404);
    expect((await post(api.base, `${postPath}/featured`, {}, admin)).status).toBe(409);
    expect((await post(api.base, `/v1/community/posts/${story.json.post_id}/featured`, {}, a2)).status).toBe(
      403,
    );
    expect(
      (await post(api.base, `/v1/community/posts/${story.json.post_id}/featured`, {}, admin)).status,
    ).toBe(202);

    await eventually(
      async () =>
        (await get(api.base, '/v1/partners/p1/referrals', p1)).json.referrals?.some(
          (r: { leadId: string; status: string }) => r.leadId === 'L-sold' && r.status === 'rewarded',
        ),
      60_000,
      'the sold referral rewarded',
    );
    const rewards = await get(api.base, '/v1/partners/p1/rewards', p1);
    // 2500 + 5% of 100 000 cents.
    expect(rewards.json.balance).toEqual({ points: 0, amountCents: 7_500 });
    expect((await get(api.base, '/v1/partners/p1/rewards', as('partner', 'p2'))).status).toBe(403);
    expect((await get(api.base, '/v1/partners/p1/rewards', admin)).status).toBe(200);

    // a1: converted 50 + post 5 (its own like earns nothing); a2: story 10 + like 1 + comment 2 + featured 25.
    await eventually(
      async () => {
        const board = (await get(api.base, '/v1/leaderboards', a1)).json.agents ?? [];
        return (
          JSON.stringify(board.map((r: { agentId: string; points: number }) => [r.agentId, r.points])) ===
          JSON.stringify([
            ['a1', 55],
            ['a2', 38],
          ])
        );
      },
      60_000,
      'the leaderboard',
    );
    const posts = (await get(api.base, '/v1/community/posts?featured=true', a2)).json.posts;
    expect(posts).toEqual([expect.objectContaining({ postId: story.json.post_id, featured: true })]);
    const counted = (await get(api.base, '/v1/community/posts?category=tips', a2)).json.posts;
    expect(counted).toEqual([expect.objectContaining({ likes: 2, comments: 1 })]);
    expect(await get(api.base, '/v1/agents/a1/tier', a1)).toMatchObject({
      status: 200,
      json: { tier: 'silver', periodPoints: 55, dailyCapBonus: 0 },
    });
    expect((await get(api.base, '/v1/agents/a1/tier', a2)).status).toBe(403);
    expect((await get(api.base, '/v1/agents/a1/tier', p1)).status).toBe(403);
    expect((await get(api.base, '/v1/leaderboards?period=2026-13', a1)).json.problems[0].field).toBe(
      'period',
    );
    expect(Object.keys((await get(api.base, '/docs/json')).json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/partners',
        '/v1/partners/{id}/referrals',
        '/v1/community/posts',
        '/v1/leaderboards',
      ]),
    );

    expect(await patch(api.base, '/v1/partners/p1', { status: 'suspended' }, admin)).toMatchObject({
      status: 200,
      json: { status: 'suspended' },
    });
    await eventually(
      () => api.ingress.api.rewards.partner('p1')?.status === 'suspended',
      30_000,
      'suspension',
    );
    expect(await post(api.base, '/v1/partners/p1/referrals', { lead_id: 'L-z' }, p1)).toMatchObject({
      status: 403,
      json: { error: 'partner_not_active' },
    });
  } finally {
    await api.close();
    await pipeline.stop();
    await dispose();
    await harness.dispose();
  }
}
