import type { Knex } from 'knex';

/**
 * Erasures as the read models keep them (sinks/postgres/privacy.ts): each part of each request
 * done, from the privacy.erasures audit topic, so the API can answer a request's status; and the
 * leads erased, so rows a sink writes for one of them later (a late event, a rebuild of the
 * tables) are erased again as they are written. Ids and times only: never whose leads they were.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('privacy_erasures', (t) => {
    t.text('request_id').notNullable();
    // The blind index the part erased by (phone:<index>, email:<index>), as the topic has it.
    t.text('part').notNullable();
    t.integer('parts').notNullable();
    t.integer('lead_count').notNullable();
    t.text('requested_by').notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.timestamp('erased_at', { useTz: true }).notNullable();
    t.primary(['request_id', 'part']);
  });

  await knex.schema.createTable('privacy_erased_leads', (t) => {
    t.text('lead_id').notNullable();
    t.text('request_id').notNullable();
    t.primary(['lead_id', 'request_id']);
    t.index(['request_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('privacy_erased_leads');
  await knex.schema.dropTable('privacy_erasures');
}
