import type { Knex } from 'knex';

/**
 * The lead ledger (topic `ledger`): every cost, revenue, credit and chargeback, once by entry id,
 * never changed; totals are sums, like the rewards ledger's. And the campaign each lead came
 * with, so vendor scorecards can split by it. Rows written before this migration take it from
 * the lead's events where their payloads are still kept; the others (purged or erased payloads)
 * stay without one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_entries', (t) => {
    t.text('entry_id').primary();
    t.text('lead_id').notNullable();
    // cost, revenue, credit or chargeback; amounts are never negative, the kind gives the sign.
    t.text('kind').notNullable();
    t.text('party').notNullable();
    t.text('party_id').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.text('rule').notNullable();
    t.text('vendor_id').notNullable();
    t.text('campaign');
    t.text('line').notNullable();
    t.text('state').notNullable();
    t.text('reason');
    t.text('source_event_id').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    // Scorecards sum a lead's entries for the leads received in a range.
    t.index(['lead_id']);
  });

  await knex.schema.alterTable('leads', (t) => {
    t.text('campaign');
  });
  await knex.raw(`
    UPDATE leads l SET campaign = e.campaign
    FROM (
      SELECT DISTINCT ON (lead_id) lead_id,
        COALESCE(payload #>> '{lead,source,campaign}', payload #>> '{raw,lead,source,campaign}') AS campaign
      FROM lead_events
      WHERE COALESCE(payload #>> '{lead,source,campaign}', payload #>> '{raw,lead,source,campaign}') IS NOT NULL
      ORDER BY lead_id, occurred_at) e
    WHERE l.lead_id = e.lead_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('campaign');
  });
  await knex.schema.dropTable('ledger_entries');
}
