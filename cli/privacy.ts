import type { Command } from 'commander';
import fs from 'node:fs';
import { exportSubject, findSubject, type SubjectStores } from '../app/privacy/find';
import { openKeyVault, privacyKey } from '../app/privacy/key-vault';
import { erasureDone, requestErasure } from '../ingress/erasure-requests';
import { positiveInt } from './options';
import { topology } from '../app/topology';
import { retentionSettings } from '../config';
import { RecordCodec } from '../runtime/codec';
import { platformCatalog, TOPIC } from '../topics/platform';
import { subjectNeedles } from '../app/privacy/subject';
import { openSinkDatabase } from '../sinks';
import { openGraph } from '../sinks/neo4j';
import { action, openContext } from './context';
import { printTable } from './topics';

export function registerPrivacy(program: Command): void {
  const privacy = program.command('privacy').description("data subjects' requests (docs/compliance.md)");

  privacy
    .command('find')
    .description(
      "list every topic, table and graph label where a subject's email or phone can still be read; reads every record of every topic",
    )
    .option('--email <email>', "the subject's email")
    .option('--phone <phone>', "the subject's phone")
    .option('--json', 'print JSON')
    .action(
      action(async (options: { email?: string; phone?: string; json?: boolean }) => {
        const needles = subjectNeedles(options);
        const stores = await openSubjectStores();
        try {
          const places = await findSubject(needles, stores);
          if (options.json) process.stdout.write(`${JSON.stringify(places)}\n`);
          else if (places.length === 0) process.stdout.write('found nowhere\n');
          else
            printTable(
              ['STORE', 'NAME', 'COUNT'],
              places.map((p) => [p.store, p.name, String(p.count)]),
            );
        } finally {
          await stores.close();
        }
      }),
    );

  privacy
    .command('export')
    .description(
      'everything held about a subject (an access request), as JSON: the records, rows and graph nodes `find` finds, decoded',
    )
    .option('--email <email>', "the subject's email")
    .option('--phone <phone>', "the subject's phone")
    .option('--out <file>', 'write the JSON here instead of standard output')
    .action(
      action(async (options: { email?: string; phone?: string; out?: string }) => {
        const needles = subjectNeedles(options);
        const stores = await openSubjectStores();
        try {
          const held = await exportSubject(needles, stores);
          const json = `${JSON.stringify({ subject: { email: options.email, phone: options.phone }, exportedAt: new Date().toISOString(), ...held }, null, 2)}\n`;
          if (options.out) fs.writeFileSync(options.out, json, { mode: 0o600 });
          else process.stdout.write(json);
        } finally {
          await stores.close();
        }
      }),
    );

  privacy
    .command('erase')
    .description(
      'erase a subject: every lead with their email or phone becomes unreadable in every topic and copy, and the read models, graph and vectors drop what is left of them',
    )
    .option('--email <email>', "the subject's email")
    .option('--phone <phone>', "the subject's phone")
    .option('--wait [seconds]', 'wait until the erase stage has done it (default 60 s)')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { email?: string; phone?: string; wait?: string | true; json?: boolean }) => {
        const { config, transport, registry } = openContext();
        try {
          const catalog = platformCatalog(retentionSettings(config));
          await transport.applyTopics([
            catalog.get(TOPIC.privacySubjects),
            catalog.get(TOPIC.privacyErasures),
          ]);
          const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix });
          const deps = { transport, codec, blind: privacyKey(config).blind };
          const requestedAt = Date.now();
          const request = await requestErasure(options, deps, 'cli', requestedAt);
          const waitMs =
            options.wait === undefined
              ? 0
              : options.wait === true
                ? 60_000
                : positiveInt(options.wait, '--wait') * 1000;
          const done = waitMs > 0 ? await erasureDone(deps, { ...request, requestedAt }, waitMs) : null;
          // A lead with both the email and the phone is in both parts: counted once.
          const leads = done ? new Set(done.flatMap((part) => part.leadIds)).size : null;
          const status = done ? 'done' : 'pending';
          if (options.json)
            process.stdout.write(
              `${JSON.stringify({ request_id: request.requestId, status, leads_erased: leads })}\n`,
            );
          else
            process.stdout.write(
              done
                ? `erasure ${request.requestId}: done, ${leads} lead(s) erased\n`
                : `erasure ${request.requestId}: requested${waitMs > 0 ? ', not done yet' : ''}; the erase stage does it\n`,
            );
          if (waitMs > 0 && !done) process.exitCode = 1;
        } finally {
          await transport.close();
        }
      }),
    );
}

/**
 * Where a subject's data can be: every topic the deployment writes (internal ones too, read with
 * their schemas and the leads' keys), the read models and the graph.
 */
async function openSubjectStores(): Promise<SubjectStores & { close(): Promise<void> }> {
  const { config, log, transport, registry } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const vault = await openKeyVault(config, transport, log);
  const catalog = platformCatalog(retentionSettings(config)).withProcessors(
    config.LEADFLOW_APP_ID,
    topology(config),
  );
  const codec = new RecordCodec(catalog, registry, { subjectPrefix: transport.topicPrefix, keys: vault });
  const database = await openSinkDatabase(config);
  const graph = await openGraph(config);
  return {
    transport,
    codec,
    database,
    graph,
    async close() {
      await vault.stop();
      await Promise.all([transport.close(), database?.close(), graph?.close()]);
    },
  };
}
