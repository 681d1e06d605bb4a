import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The process logger. PII fields are masked wherever they appear in a logged object, so a log
 * line that includes a lead never carries its contact details. `destination` (default stdout)
 * lets a test read what the process would have written.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
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
  };
  return destination ? pino(options, destination) : pino(options);
}

let root: Logger | undefined;

/** The shared root logger; modules take children of it with their own bindings. */
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}
