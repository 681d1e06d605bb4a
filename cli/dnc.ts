import type { Command } from 'commander';
import { doNotContactKey } from '../processors/validate/identities';
import { RecordCodec } from '../runtime/codec';
import { platformCatalog, TOPIC } from '../topics/platform';
import { printTable } from './topics';
import { action, type CliContext, openContext } from './context';

interface Entry {
  key: string;
  kind: string;
  reason: string | null;
  source: string;
  addedAt: number;
}

async function dncCodec(context: CliContext) {
  const catalog = platformCatalog();
  await context.transport.applyTopics([catalog.get(TOPIC.doNotContact)]);
  const codec = new RecordCodec(catalog, context.registry, { subjectPrefix: context.transport.topicPrefix });
  await codec.prepare([TOPIC.doNotContact]);
  return codec;
}

function keyOf(contact: string): string {
  const key = doNotContactKey(contact);
  if (!key) throw new Error(`"${contact}" is neither a readable phone number nor an email address`);
  return key;
}

export function registerDnc(program: Command): void {
  const dnc = program.command('dnc').description('maintain the do-not-contact list (topic contacts.dnc)');

  dnc
    .command('add')
    .description('block phones or emails; leads with them are rejected as do_not_contact')
    .argument('<contacts...>', 'phone numbers or email addresses')
    .option('--reason <text>', 'why (kept with the entry)')
    .action(
      action(async (contacts: string[], options: { reason?: string }) => {
        const context = openContext();
        const codec = await dncCodec(context);
        const records = contacts.map((contact) => {
          const key = keyOf(contact);
          const entry: Entry = {
            key,
            kind: key.split(':')[0]!,
            reason: options.reason ?? null,
            source: 'cli',
            addedAt: Date.now(),
          };
          return codec.encode(TOPIC.doNotContact, key, entry);
        });
        await context.transport.produce(records);
        for (const contact of contacts) process.stdout.write(`blocked ${keyOf(contact)}\n`);
        await context.transport.close();
      }),
    );

  dnc
    .command('remove')
    .description('unblock phones or emails')
    .argument('<contacts...>', 'phone numbers or email addresses')
    .action(
      action(async (contacts: string[]) => {
        const context = openContext();
        const codec = await dncCodec(context);
        await context.transport.produce(
          contacts.map((c) => codec.encode(TOPIC.doNotContact, keyOf(c), null)),
        );
        for (const contact of contacts) process.stdout.write(`unblocked ${keyOf(contact)}\n`);
        await context.transport.close();
      }),
    );

  dnc
    .command('list')
    .description('show the current list')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const context = openContext();
        const codec = await dncCodec(context);
        const current = new Map<string, Entry>();
        for (const raw of await context.transport.read(TOPIC.doNotContact)) {
          const { key, value } = await codec.decode<Entry | null>(raw);
          if (value === null) current.delete(key);
          else current.set(key, value);
        }
        const entries = [...current.values()].sort((a, b) => a.key.localeCompare(b.key));
        if (options.json) process.stdout.write(`${JSON.stringify(entries)}\n`);
        else
          printTable(
            ['CONTACT', 'REASON', 'SOURCE', 'ADDED'],
            entries.map((e) => [e.key, e.reason ?? '', e.source, new Date(e.addedAt).toISOString()]),
          );
        await context.transport.close();
      }),
    );
}
