import type { Knex } from 'knex';

/**
 * The lead read models: each lead's current state, every event of every stage, which stages each
 * lead has reached, daily funnel counts, and the do-not-contact list.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('leads', (t) => {
    t.text('lead_id').primary();
    t.text('vendor_id').notNullable();
    t.text('channel');
    t.text('line');
    t.text('state');
    t.text('zip');
    t.text('stage').notNullable();
    // The stage's place in the flow: a lead's row only ever moves to a higher (or equal) rank.
    t.smallint('stage_rank').notNullable();
    t.smallint('score');
    t.text('tier');
    t.text('agent_id');
    t.text('assignment_status');
    t.jsonb('rejection_reasons');
    t.jsonb('warnings').notNullable().defaultTo('[]');
    // The record of the most advanced stage, as it was on its topic.
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['vendor_id', 'received_at']);
    t.index(['stage']);
    t.index(['received_at']);
  });

  await knex.schema.createTable('lead_events', (t) => {
    // topic/partition/offset of the record: what makes every write idempotent.
    t.text('event_id').primary();
    t.text('lead_id').notNullable();
    t.text('stage').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    // Written by a re-run of a stage (the lf-replay header).
    t.boolean('replay').notNullable().defaultTo(false);
    t.jsonb('payload').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'occurred_at']);
  });

  // One row per lead and stage reached, whatever the number of events that said so: it is what
  // keeps funnel_daily exact under duplicates and replays.
  await knex.schema.createTable('lead_stages', (t) => {
    t.text('lead_id').notNullable();
    t.text('stage').notNullable();
    t.date('received_on').notNullable();
    t.text('vendor_id').notNullable();
    t.text('line').notNullable();
    t.text('first_event_id').notNullable();
    t.primary(['lead_id', 'stage']);
  });

  // Leads that reached each stage, by the UTC day they were received (a cohort funnel).
  await knex.schema.createTable('funnel_daily', (t) => {
    t.date('day').notNullable();
    t.text('stage').notNullable();
    t.text('vendor_id').notNullable();
    t.text('line').notNullable();
    t.integer('leads').notNullable();
    t.primary(['day', 'stage', 'vendor_id', 'line']);
  });

  // The current list, as the compacted topic holds it: a removal deletes the row.
  await knex.schema.createTable('do_not_contact', (t) => {
    t.text('identity_key').primary();
    t.text('kind').notNullable();
    t.text('reason');
    t.text('source').notNullable();
    t.timestamp('added_at', { useTz: true }).notNullable();
    // Offset of the record that set this row: an older record never overwrites a newer one.
    t.bigInteger('source_offset').notNullable();
    t.text('event_id').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['do_not_contact', 'funnel_daily', 'lead_stages', 'lead_events', 'leads'])
    await knex.schema.dropTable(table);
}
