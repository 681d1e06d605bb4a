import type { Knex } from 'knex';

/**
 * Removals from the do-not-contact list, each with the offset of its tombstone. Deleting the row
 * alone forgot that offset, so re-reading contacts.dnc from an earlier offset (a replay) put a
 * removed entry back until the tombstone came again. An identity is in at most one of
 * do_not_contact and this table: whichever its last applied change put it in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('do_not_contact_removals', (t) => {
    t.text('identity_key').primary();
    t.bigInteger('source_offset').notNullable();
    t.text('event_id').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('do_not_contact_removals');
}
