import pino, { type Logger } from 'pino';

/**
 * The process logger. PII fields are masked wherever they appear in a logged object, so a log
 * line that includes a lead never carries its contact details.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'leadflow' },
    redact: {
      paths: [
        'email',
        'phone',
        '*.email',
        '*.phone',
        '*.*.email',
        '*.*.phone',
        'apiKey',
        '*.apiKey',
        'authorization',
        '*.authorization',
      ],
      censor: '[masked]',
    },
  });
}

let root: Logger | undefined;

/** The shared root logger; modules take children of it with their own bindings. */
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}
