import type { Knex } from 'knex';

/**
 * Tables for the stages after enrichment whose shape the design already fixes: agents (from the
 * compacted agents topic), assignment transitions, lead outcomes and the rewards ledger. The
 * stages that write them add their columns in later migrations; referrals, VIP status and
 * community content come with the rewards stage.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agents', (t) => {
    t.text('agent_id').primary();
    t.text('routing_group');
    t.boolean('active').notNullable().defaultTo(true);
    t.jsonb('payload').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.bigInteger('source_offset').notNullable();
    t.index(['routing_group']);
  });

  // Every transition of an offer (offered, accepted, declined, expired, ...); a lead's current
  // assignment is on its leads row.
  await knex.schema.createTable('assignments', (t) => {
    t.text('event_id').primary();
    t.text('lead_id').notNullable();
    t.text('agent_id').notNullable();
    t.text('status').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.jsonb('payload').notNullable();
    t.index(['lead_id']);
    t.index(['agent_id', 'occurred_at']);
  });

  // contacted, quoted, sold, lost.
  await knex.schema.createTable('lead_outcomes', (t) => {
    t.text('event_id').primary();
    t.text('lead_id').notNullable();
    t.text('outcome').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.jsonb('payload').notNullable();
    t.index(['lead_id']);
  });

  // Append-only: points and commissions credited (or debited) to agents and referral partners.
  await knex.schema.createTable('rewards_ledger', (t) => {
    t.text('event_id').primary();
    t.text('account_kind').notNullable();
    t.text('account_id').notNullable();
    t.integer('points').notNullable().defaultTo(0);
    t.decimal('amount_usd', 12, 2).notNullable().defaultTo(0);
    t.text('reason').notNullable();
    t.text('lead_id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.index(['account_kind', 'account_id', 'occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['rewards_ledger', 'lead_outcomes', 'assignments', 'agents'])
    await knex.schema.dropTable(table);
}
