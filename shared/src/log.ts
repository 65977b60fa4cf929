import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  readonly nodeUuid?: string;
  readonly name?: string;
  readonly destination?: DestinationStream;
}

/** Structured JSON logs; every line carries the node UUID when there is one. Secrets are redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base: Record<string, unknown> = { name: options.name ?? 'anvil' };
  if (options.nodeUuid) base.node_uuid = options.nodeUuid;
  return pino(
    {
      level: options.level ?? process.env.ANVIL_LOG_LEVEL ?? 'info',
      base,
      redact: { paths: ['token', '*.token', 'headers.*', '*.headers.*', 'agent_token', '*.agent_token', 'password', '*.password', 'secret', '*.secret'], censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
