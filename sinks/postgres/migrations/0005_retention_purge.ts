import type { Knex } from 'knex';

/**
 * What the retention purge (sinks/postgres/retention.ts) looks for: rows of some stages, older
 * than their data class's retention, whose payload it has not emptied yet. An emptied payload
 * leaves these indexes, so a run reads only what is left to purge.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX lead_events_payload_kept ON lead_events (stage, occurred_at) WHERE payload <> '{}'::jsonb`,
  );
  await knex.raw(
    `CREATE INDEX leads_payload_kept ON leads (stage, received_at) WHERE payload <> '{}'::jsonb`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX leads_payload_kept');
  await knex.raw('DROP INDEX lead_events_payload_kept');
}
