import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stderr (stdout belongs to the local chat). Never log tokens, request URLs
 * (Telegram puts the token in them), names, answers or phone numbers: log hashed keys and ids.
 */
export function createLogger(level: string, destination: number | string = 2): Logger {
  return pino(loggerOptions(level), pino.destination({ dest: destination, sync: true }));
}

/** The options every logger of the bot uses (the turn worker's too, which writes to its parent). */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: undefined,
    redact: { paths: ['token', '*.token', 'secret', '*.secret', 'url', '*.url', 'text', '*.text'], censor: '[redacted]' },
  };
}

export const silentLogger: Logger = pino({ level: 'silent' });
