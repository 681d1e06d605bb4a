import type { Command } from 'commander';
import {
  createVendor,
  rotateKey,
  setVendorStatus,
  setVendorWebhook,
  vendorIdFor,
} from '../ingress/auth/vendors';
import { type Vendor } from '../schemas/vendor-records';
import { RecordCodec } from '../runtime/codec';
import { GlobalTable } from '../runtime/global-table';
import { platformCatalog, TOPIC } from '../topics/platform';
import { positiveInt } from './options';
import { printTable } from './topics';
import { action, type CliContext, openContext } from './context';

/**
 * Vendors are events on the compacted `vendors` topic; API processes follow it, so a key created
 * or rotated here works (or stops working) there within moments, without a restart.
 */
async function openVendors() {
  const context = openContext();
  const catalog = platformCatalog();
  await context.transport.applyTopics([catalog.get(TOPIC.vendors)]);
  const codec = new RecordCodec(catalog, context.registry, { subjectPrefix: context.transport.topicPrefix });
  await codec.prepare([TOPIC.vendors]);
  const table = await new GlobalTable<Vendor>(TOPIC.vendors, context.transport, codec, context.log).start();
  await table.stop();
  return {
    context,
    table,
    save: (vendor: Vendor) =>
      context.transport.produce([codec.encode(TOPIC.vendors, vendor.vendorId, vendor)]),
    existing(vendorId: string): Vendor {
      const vendor = table.get(vendorId);
      if (!vendor) throw new Error(`no vendor "${vendorId}" (see leadflow vendors list)`);
      return vendor;
    },
  };
}

async function closing<T>(context: CliContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await context.transport.close();
  }
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerVendors(program: Command): void {
  const vendors = program.command('vendors').description('lead vendors and their API keys (topic vendors)');

  vendors
    .command('create')
    .description('create a vendor and print its API key (shown once: only its hash is stored)')
    .requiredOption('--name <name>', 'display name')
    .option('--id <id>', 'vendor id (default: from the name, e.g. acme-leads-3f9a1c)')
    .option('--rate-limit <n>', 'requests per minute (default: LEADFLOW_RATE_LIMIT_PER_MINUTE)', (v) =>
      positiveInt(v, '--rate-limit'),
    )
    .option('--json', 'print {"vendor_id", "api_key"}')
    .action(
      action(async (options: { name: string; id?: string; rateLimit?: number; json?: boolean }) => {
        const { context, table, save } = await openVendors();
        await closing(context, async () => {
          const vendorId = options.id ?? vendorIdFor(options.name);
          if (table.get(vendorId))
            throw new Error(`vendor "${vendorId}" exists; use leadflow vendors rotate`);
          const { vendor, apiKey } = createVendor({
            vendorId,
            name: options.name,
            rateLimitPerMinute: options.rateLimit ?? null,
            now: Date.now(),
          });
          await save(vendor);
          if (options.json) out(JSON.stringify({ vendor_id: vendor.vendorId, api_key: apiKey }));
          else out(`created vendor ${vendor.vendorId}\nAPI key (shown once, keep it safe): ${apiKey}`);
        });
      }),
    );

  vendors
    .command('rotate')
    .description('issue a new API key; the current keys keep working for the grace period')
    .argument('<vendor-id>')
    .option('--grace-minutes <n>', 'how long the current keys stay valid (0: stop at once)', '1440')
    .option('--json', 'print {"vendor_id", "api_key", "previous_keys_expire_at"}')
    .action(
      action(async (vendorId: string, options: { graceMinutes: string; json?: boolean }) => {
        const graceMinutes = Number(options.graceMinutes);
        if (!Number.isInteger(graceMinutes) || graceMinutes < 0) {
          throw new Error(`--grace-minutes must be a whole number of minutes, got "${options.graceMinutes}"`);
        }
        const { context, save, existing } = await openVendors();
        await closing(context, async () => {
          const now = Date.now();
          const { vendor, apiKey } = rotateKey(existing(vendorId), { now, graceMs: graceMinutes * 60_000 });
          await save(vendor);
          const expireAt = iso(now + graceMinutes * 60_000);
          if (options.json) {
            out(
              JSON.stringify({
                vendor_id: vendor.vendorId,
                api_key: apiKey,
                previous_keys_expire_at: expireAt,
              }),
            );
          } else {
            out(
              `new API key for ${vendor.vendorId} (shown once): ${apiKey}\nprevious keys expire at ${expireAt}`,
            );
          }
        });
      }),
    );

  for (const [command, status, verb] of [
    ['disable', 'disabled', 'its keys stop working at once'],
    ['enable', 'active', 'its unexpired keys work again'],
  ] as const) {
    vendors
      .command(command)
      .description(`${command} a vendor: ${verb}`)
      .argument('<vendor-id>')
      .action(
        action(async (vendorId: string) => {
          const { context, save, existing } = await openVendors();
          await closing(context, async () => {
            await save(setVendorStatus(existing(vendorId), status, Date.now()));
            out(`${vendorId} ${status}`);
          });
        }),
      );
  }

  vendors
    .command('webhook')
    .description(
      'set where status webhooks go (accepted, rejected, assigned, converted), signed with LEADFLOW_WEBHOOK_SECRET',
    )
    .argument('<vendor-id>')
    .argument('<url>', 'an http(s) URL, or "none" to stop sending')
    .action(
      action(async (vendorId: string, url: string) => {
        const { context, save, existing } = await openVendors();
        await closing(context, async () => {
          await save(setVendorWebhook(existing(vendorId), url === 'none' ? null : url));
          out(url === 'none' ? `${vendorId}: no status webhooks` : `${vendorId}: status webhooks to ${url}`);
        });
      }),
    );

  vendors
    .command('list')
    .description('show vendors, their status and key ids (never the keys)')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const { context, table } = await openVendors();
        await closing(context, async () => {
          const rows = [...table.entries()]
            .map(([, v]) => v)
            .sort((a, b) => a.vendorId.localeCompare(b.vendorId));
          if (options.json) {
            out(
              JSON.stringify(
                rows.map((v) => ({
                  vendor_id: v.vendorId,
                  name: v.name,
                  status: v.status,
                  rate_limit_per_minute: v.rateLimitPerMinute,
                  keys: v.keys.map((k) => ({
                    key_id: k.keyId,
                    created_at: iso(k.createdAt),
                    expires_at: iso(k.expiresAt),
                  })),
                  created_at: iso(v.createdAt),
                  rotated_at: iso(v.rotatedAt),
                  disabled_at: iso(v.disabledAt),
                })),
              ),
            );
            return;
          }
          printTable(
            ['VENDOR', 'NAME', 'STATUS', 'KEYS', 'RATE LIMIT', 'CREATED'],
            rows.map((v) => [
              v.vendorId,
              v.name,
              v.status,
              v.keys
                .map((k) => (k.expiresAt === null ? k.keyId : `${k.keyId} (until ${iso(k.expiresAt)})`))
                .join(' '),
              v.rateLimitPerMinute === null ? 'default' : `${v.rateLimitPerMinute}/min`,
              iso(v.createdAt)!,
            ]),
          );
        });
      }),
    );
}
