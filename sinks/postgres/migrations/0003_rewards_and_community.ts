import type { Knex } from 'knex';

/**
 * Read models of the rewards stage: partners (no payout details: only method and last four),
 * referrals and their steps, agents' VIP tiers, community content, payout batches, and the
 * ledger's own columns (period, source event, detail). Balances are never stored: the
 * reward_balances view sums the append-only ledger.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('partners', (t) => {
    t.text('partner_id').primary();
    t.text('name').notNullable();
    t.text('status').notNullable();
    t.text('plan');
    t.text('routing_group');
    t.text('payout_method');
    t.text('payout_last4');
    t.timestamp('registered_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  // One row per (lead, partner): a second partner referring the same lead has its own, rejected.
  await knex.schema.createTable('referrals', (t) => {
    t.text('lead_id').notNullable();
    t.text('partner_id').notNullable();
    t.text('status').notNullable();
    t.smallint('status_rank').notNullable();
    t.text('reason');
    t.bigInteger('premium_cents');
    t.bigInteger('commission_cents');
    t.text('agent_id');
    t.timestamp('submitted_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['lead_id', 'partner_id']);
    t.index(['partner_id', 'status']);
  });

  await knex.schema.createTable('referral_events', (t) => {
    t.text('event_id').primary();
    t.text('lead_id').notNullable();
    t.text('partner_id').notNullable();
    t.text('type').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.jsonb('payload').notNullable();
    t.index(['lead_id']);
  });

  await knex.schema.alterTable('rewards_ledger', (t) => {
    t.text('period');
    t.text('source_event_id');
    t.text('detail');
    t.index(['account_kind', 'period']);
  });

  await knex.schema.createTable('agent_tiers', (t) => {
    t.text('agent_id').primary();
    t.text('tier').notNullable();
    t.double('priority_boost').notNullable();
    t.integer('daily_cap_bonus').notNullable();
    t.text('period').notNullable();
    t.integer('period_points').notNullable();
    t.text('change').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  // Posts and stories; comments and likes are rows of their own, counted when read.
  await knex.schema.createTable('community_posts', (t) => {
    t.text('post_id').primary();
    t.text('kind').notNullable();
    t.text('author_id').notNullable();
    t.text('category');
    t.text('title');
    t.text('body');
    t.boolean('featured').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['category', 'created_at']);
  });

  await knex.schema.createTable('community_comments', (t) => {
    t.text('event_id').primary();
    t.text('post_id').notNullable();
    t.text('author_id').notNullable();
    t.text('body');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['post_id', 'created_at']);
  });

  await knex.schema.createTable('community_likes', (t) => {
    t.text('post_id').notNullable();
    t.text('agent_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['post_id', 'agent_id']);
  });

  // One batch per partner and period: the id is partner + period, so a second run finds it.
  await knex.schema.createTable('payouts', (t) => {
    t.text('batch_id').primary();
    t.text('partner_id').notNullable();
    t.text('period').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.text('status').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['partner_id', 'period']);
  });

  await knex.raw(`
    CREATE VIEW reward_balances AS
    SELECT account_kind, account_id,
           sum(points)::bigint AS points,
           (sum(amount_usd) * 100)::bigint AS amount_cents
    FROM rewards_ledger
    GROUP BY account_kind, account_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW reward_balances');
  for (const table of [
    'payouts',
    'community_likes',
    'community_comments',
    'community_posts',
    'agent_tiers',
    'referral_events',
    'referrals',
    'partners',
  ])
    await knex.schema.dropTable(table);
  await knex.schema.alterTable('rewards_ledger', (t) => {
    t.dropIndex(['account_kind', 'period']);
    t.dropColumns('period', 'source_event_id', 'detail');
  });
}
