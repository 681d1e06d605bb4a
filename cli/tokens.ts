import { type Command, Option } from 'commander';
import { jwtSecret } from '../ingress/auth/secret';
import { ALL_SCOPES, issueToken, ROLES, type Role } from '../ingress/auth/tokens';
import { action, loadCliConfig } from './context';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

function seconds(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (!match || Number(match[1]) === 0) throw new Error(`--ttl must be like 30m, 12h or 7d, got "${value}"`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('JWTs for agents, partners and admins');

  tokens
    .command('issue')
    .description('sign a token with LEADFLOW_JWT_SECRET and print it')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .requiredOption('--sub <subject>', 'who the token is for (user or system id)')
    .option(
      '--scopes <list>',
      `comma-separated scopes: ${ALL_SCOPES.join(', ')} (default: all for admin, none otherwise)`,
    )
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 12h, 7d', '1h')
    .option('--dev', 'use the development secret of the embedded data dir (see leadflow start --dev)')
    .option('--json', 'print {"token", "expires_at"}')
    .action(
      action(
        async (options: {
          role: Role;
          sub: string;
          scopes?: string;
          ttl: string;
          dev?: boolean;
          json?: boolean;
        }) => {
          const scopes =
            options.scopes === undefined
              ? options.role === 'admin'
                ? [...ALL_SCOPES]
                : []
              : options.scopes
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
          const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
          if (unknown.length > 0) {
            throw new Error(`unknown scope(s) ${unknown.join(', ')} (known: ${ALL_SCOPES.join(', ')})`);
          }
          const ttlSeconds = seconds(options.ttl);
          const { secret } = jwtSecret(loadCliConfig(), options.dev === true);
          const now = Date.now();
          const token = issueToken(
            secret,
            { subject: options.sub, role: options.role, scopes, ttlSeconds },
            now,
          );
          const expiresAt = new Date(now + ttlSeconds * 1000).toISOString();
          process.stdout.write(
            options.json ? `${JSON.stringify({ token, expires_at: expiresAt })}\n` : `${token}\n`,
          );
        },
      ),
    );
}
