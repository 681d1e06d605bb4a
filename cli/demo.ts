import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { generateLeads } from '../connectors/generator/generate';
import { toRawLead } from '../ingress/intake';
import { topology } from '../processors/topology';
import { RecordCodec } from '../runtime/codec';
import { Pipeline } from '../runtime/pipeline';
import { EmbeddedTransport } from '../runtime/transports/embedded';
import { BuiltInSchemaRegistry } from '../schemas/registry';
import { readFunnel } from '../sinks/funnel';
import { platformCatalog, TOPIC } from '../topics/platform';
import { positiveInt, share } from './options';
import { action, openContext } from './context';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate leads, run every stage on a fresh embedded log and print the funnel')
    .option('--leads <n>', 'leads to generate', (v) => positiveInt(v, '--leads'), 1000)
    .option('--seed <s>', 'generator seed', 'demo')
    .option(
      '--bad-share <f>',
      'share of deliberately bad records (0..1)',
      (v) => share(v, '--bad-share'),
      0.12,
    )
    .option('--json', 'print one JSON object')
    .action(
      action(async (options: { leads: number; seed: string; badShare: number; json?: boolean }) => {
        const { config, log } = openContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-demo-'));
        const transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
        try {
          const started = Date.now();
          const registry = new BuiltInSchemaRegistry(transport.schemaLog());
          const pipeline = await Pipeline.start({
            appId: config.LEADFLOW_APP_ID,
            transport,
            registry,
            catalog: platformCatalog(),
            processors: topology(config),
            log,
          });
          const codec = new RecordCodec(pipeline.catalog, registry);
          await codec.prepare([TOPIC.leadsRaw]);
          const { leads } = generateLeads({
            count: options.leads,
            seed: options.seed,
            badShare: options.badShare,
          });
          const receivedAt = Date.now();
          for (let i = 0; i < leads.length; i += 1000) {
            const chunk = leads.slice(i, i + 1000).map((body) => {
              const raw = toRawLead(body, {
                vendorId: body.source?.vendorId ?? 'demo',
                channel: 'demo',
                receivedAt,
              });
              return codec.encode(TOPIC.leadsRaw, raw.leadId, raw);
            });
            await transport.produce(chunk);
          }
          await pipeline.waitIdle(600_000);
          const funnel = await readFunnel(transport, codec);
          await pipeline.stop();
          const summary = {
            ...funnel,
            funnel_identity_holds: funnel.raw === funnel.valid + funnel.rejected,
            seconds: (Date.now() - started) / 1000,
          };
          if (options.json) {
            process.stdout.write(`${JSON.stringify(summary)}\n`);
          } else {
            printFunnel(summary);
          }
          if (!summary.funnel_identity_holds)
            throw new Error('funnel identity raw = valid + rejected does not hold');
        } finally {
          await transport.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
    );
}

function printFunnel(
  f: Awaited<ReturnType<typeof readFunnel>> & { funnel_identity_holds: boolean; seconds: number },
) {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`raw        ${f.raw}`);
  out(`valid      ${f.valid}   (${pct(f.valid, f.raw)})`);
  out(`rejected   ${f.rejected}   (${pct(f.rejected, f.raw)})`);
  out(`enriched   ${f.enriched}`);
  out(`raw = valid + rejected: ${f.funnel_identity_holds ? 'yes' : 'NO'}`);
  out();
  out('rejections by reason (a lead counts under each of its reasons):');
  for (const [code, n] of Object.entries(f.rejected_by_reason)) out(`  ${code.padEnd(28)} ${n}`);
  out();
  out(`dead letters: ${f.dead_letters}; took ${f.seconds.toFixed(1)} s`);
}

const pct = (part: number, whole: number) => `${whole === 0 ? 0 : ((part / whole) * 100).toFixed(1)}%`;
