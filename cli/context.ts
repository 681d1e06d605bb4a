import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from '../config';
import { createLogger } from '../runtime/log';
import { createRegistry, createTransport } from '../app/transport';
import type { Transport } from '../runtime/transport';
import type { SchemaRegistry } from '../runtime/registry';

export interface CliContext {
  config: Config;
  log: Logger;
  transport: Transport;
  registry: SchemaRegistry;
}

/** Reads the configuration, exiting with a clear message if it is invalid. */
export function loadCliConfig(overrides: Partial<Record<string, string>> = {}): Config {
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`leadflow: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** Reads the configuration (exiting with a clear message if it is invalid) and opens the transport. */
export function openContext(overrides: Partial<Record<string, string>> = {}): CliContext {
  const config = loadCliConfig(overrides);
  const log = createLogger(config.LOG_LEVEL);
  const transport = createTransport(config, log);
  return { config, log, transport, registry: createRegistry(config, transport) };
}

/**
 * Runs a command body, turning any error into one line on stderr and exit code 1. With
 * `exitOnFailure` (a long-running command) the process exits then: whatever the body opened before
 * it failed (broker, database and cache connections) would otherwise keep it running, unserving.
 */
export function action<A extends unknown[]>(
  body: (...args: A) => Promise<void>,
  options: { exitOnFailure?: boolean } = {},
) {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      process.stderr.write(`leadflow: ${error instanceof Error ? error.message : String(error)}\n`);
      if (options.exitOnFailure) process.exit(1);
      process.exitCode = 1;
    }
  };
}
