import type { Knex } from 'knex';

/**
 * Buyers' returns (topic `buyer.return-decisions`): one row per purchase, the lead and the buyer
 * that bought it, holding the latest decision on its return. `decisions` is the n of that decision
 * (`<lead>:<buyer>:return:<n>`); a row only moves to a higher n, so decisions delivered again or
 * late change nothing. Ids, vendor, reasons and money: nothing about the person.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('buyer_returns', (t) => {
    t.text('lead_id').notNullable();
    t.text('buyer_id').notNullable();
    // approved, pending or denied.
    t.text('status').notNullable();
    t.text('return_reason');
    // auto_approved, needs_review, return_rate_over_max, not_bought, reviewed_by:<who>, ...
    t.text('why').notNullable();
    // Null when the buyer did not buy the lead (not_bought): no purchase, no price or vendor.
    t.integer('price_cents');
    t.text('vendor_id');
    t.integer('decisions').notNullable();
    t.timestamp('decided_at', { useTz: true }).notNullable();
    t.primary(['lead_id', 'buyer_id']);
  });
  // Reviewers list the returns waiting for them, oldest first.
  await knex.raw("CREATE INDEX buyer_returns_pending ON buyer_returns (decided_at) WHERE status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('buyer_returns');
}
