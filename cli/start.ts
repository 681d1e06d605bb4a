import type { Command } from 'commander';
import { startPlatform } from '../app/platform';
import { jwtSecret } from '../ingress/auth/secret';
import { isOutage } from '../runtime/errors';
import { retry } from '../runtime/retry';
import { action, loadCliConfig, openContext } from './context';

/** About five minutes of attempts before a start that cannot reach its services gives up. */
const START_RETRY = { attempts: 12, baseDelayMs: 1000, maxDelayMs: 30_000 };

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform: every processor plus the HTTP server (API, /docs, /healthz, /metrics)')
    .option('--processors <names>', 'comma-separated processors to run here (default: all)')
    .option('--no-processors', 'run no processor here, only the HTTP API (an ingress node)')
    .option(
      '--dev',
      'development mode: on the embedded log, generate the JWT secret if LEADFLOW_JWT_SECRET is unset',
    )
    .action(
      action(
        async (options: { processors?: string | false; dev?: boolean }) => {
          // Refused before anything connects, so the process just exits.
          const jwt = jwtSecret(loadCliConfig(), options.dev === true);
          const { config, log, transport, registry } = openContext();
          if (jwt.source === 'development')
            log.warn('development mode: JWTs use a secret generated in the data dir');
          // A broker, registry or database restarting or slow to answer now is waited for, as the
          // runs wait for it later; a start that fails on anything else exits at once.
          const platform = await retry(
            () =>
              startPlatform({
                config,
                log,
                transport,
                registry,
                jwtSecret: jwt.secret,
                processors:
                  options.processors === false ? [] : options.processors?.split(',').map((s) => s.trim()),
              }),
            {
              ...START_RETRY,
              isRetryable: isOutage,
              onRetry: ({ error, attempt, delayMs }) =>
                log.warn(
                  { err: error, attempt, delayMs },
                  'start failed: a service is unreachable; trying again',
                ),
            },
          );
          let stopping = false;
          const shutdown = async (signal: string) => {
            if (stopping) return;
            stopping = true;
            log.info({ signal }, 'stopping leadflow');
            await platform.close();
            process.exit(0);
          };
          process.on('SIGINT', () => void shutdown('SIGINT'));
          process.on('SIGTERM', () => void shutdown('SIGTERM'));
        },
        { exitOnFailure: true },
      ),
    );
}
