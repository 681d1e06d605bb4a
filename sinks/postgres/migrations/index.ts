import type { Knex } from 'knex';
import * as leadReadModels from './0001_lead_read_models';
import * as routingAndRewards from './0002_routing_and_rewards';
import * as rewardsAndCommunity from './0003_rewards_and_community';
import * as doNotContactRemovals from './0004_do_not_contact_removals';
import * as retentionPurge from './0005_retention_purge';
import * as privacyErasures from './0006_privacy_erasures';
import * as ledgerEntries from './0007_ledger_entries';
import * as buyerReturns from './0008_buyer_returns';

/**
 * The versioned migrations, oldest first. A stage that needs tables adds a module
 * `NNNN_what.ts` exporting `up` and `down` and appends it here; a released migration never
 * changes (knex records each name as applied). Names carry no file extension, so running from
 * the sources and from the compiled `dist/` sees the same history.
 */
const MIGRATIONS: readonly (readonly [name: string, migration: Knex.Migration])[] = [
  ['0001_lead_read_models', leadReadModels],
  ['0002_routing_and_rewards', routingAndRewards],
  ['0003_rewards_and_community', rewardsAndCommunity],
  ['0004_do_not_contact_removals', doNotContactRemovals],
  ['0005_retention_purge', retentionPurge],
  ['0006_privacy_erasures', privacyErasures],
  ['0007_ledger_entries', ledgerEntries],
  ['0008_buyer_returns', buyerReturns],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
};
