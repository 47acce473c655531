import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * The one place that reads the environment. Everything else receives a parsed `Config`.
 * Secrets are never echoed back in error messages: only the variable name and the rule it broke.
 */

const SECRET_KEYS = new Set([
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'ZALO_BOT_TOKEN',
  'ZALO_WEBHOOK_SECRET',
]);

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const bool = (def: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? def : ['1', 'true', 'yes', 'on'].includes(v))),
  );
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  DB_PATH: z.preprocess(emptyToUndefined, z.string().default('data/xhht.sqlite')),
  DB_SYNCHRONOUS: z.preprocess(
    emptyToUndefined,
    z.enum(['FULL', 'NORMAL', 'EXTRA'], { message: 'must be FULL, NORMAL or EXTRA' }).default('FULL'),
  ),
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ message: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(8080),
  ),
  HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  FLOWS_DIR: z.preprocess(emptyToUndefined, z.string().default('flows')),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('data')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  PUBLIC_URL: z.preprocess(emptyToUndefined, httpUrl.optional()),
  MAX_BODY_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024)),
  OUTBOX_POLL_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).max(60_000).default(250)),
  LOCAL_CHAT_ON_START: bool(true),

  TELEGRAM_BOT_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must look like 123456:ABC-def (from @BotFather)').optional(),
  ),
  TELEGRAM_WEBHOOK_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters of A-Z a-z 0-9 _ -').optional(),
  ),
  TELEGRAM_API_ROOT: z.preprocess(emptyToUndefined, httpUrl.default('https://api.telegram.org')),
  TELEGRAM_MODE: z.preprocess(emptyToUndefined, z.enum(['webhook', 'polling']).optional()),

  ZALO_BOT_TOKEN: z.preprocess(emptyToUndefined, z.string().min(10, 'looks too short to be a Zalo bot token').optional()),
  ZALO_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(8, 'must be 8-256 characters').max(256, 'must be 8-256 characters').optional()),
  ZALO_API_ROOT: z.preprocess(emptyToUndefined, httpUrl.default('https://bot-api.zaloplatforms.com')),
  ZALO_MODE: z.preprocess(emptyToUndefined, z.enum(['webhook', 'polling']).optional()),
});

export type Env = z.output<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  dbPath: string;
  dbSynchronous: Env['DB_SYNCHRONOUS'];
  port: number;
  host: string;
  flowsDir: string;
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  publicUrl: string | undefined;
  maxBodyBytes: number;
  outboxPollMs: number;
  localChatOnStart: boolean;
  telegram:
    | { token: string; webhookSecret: string | undefined; apiRoot: string; mode: 'webhook' | 'polling' }
    | undefined;
  zalo: { token: string; webhookSecret: string | undefined; apiRoot: string; mode: 'webhook' | 'polling' } | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses a plain record of variables (normally `process.env`). Throws ConfigError naming each bad variable. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(unknown)');
      // zod messages for secrets could contain the received value; keep ours generic there.
      const message = SECRET_KEYS.has(key) ? issue.message.replace(/received .*/i, 'invalid value') : issue.message;
      return `${key}: ${message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const problems: string[] = [];

  const telegramMode = e.TELEGRAM_MODE ?? (e.PUBLIC_URL && e.TELEGRAM_WEBHOOK_SECRET ? 'webhook' : 'polling');
  if (e.TELEGRAM_BOT_TOKEN && telegramMode === 'webhook' && !e.TELEGRAM_WEBHOOK_SECRET) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook');
  }
  const zaloMode = e.ZALO_MODE ?? (e.PUBLIC_URL && e.ZALO_WEBHOOK_SECRET ? 'webhook' : 'polling');
  if (e.ZALO_BOT_TOKEN && zaloMode === 'webhook' && !e.ZALO_WEBHOOK_SECRET) {
    problems.push('ZALO_WEBHOOK_SECRET: required when ZALO_MODE=webhook');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    dbPath: e.DB_PATH,
    dbSynchronous: e.DB_SYNCHRONOUS,
    port: e.PORT,
    host: e.HOST,
    flowsDir: e.FLOWS_DIR,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PUBLIC_URL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    outboxPollMs: e.OUTBOX_POLL_MS,
    localChatOnStart: e.LOCAL_CHAT_ON_START,
    telegram: e.TELEGRAM_BOT_TOKEN
      ? {
          token: e.TELEGRAM_BOT_TOKEN,
          webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
          apiRoot: e.TELEGRAM_API_ROOT,
          mode: telegramMode,
        }
      : undefined,
    zalo: e.ZALO_BOT_TOKEN
      ? { token: e.ZALO_BOT_TOKEN, webhookSecret: e.ZALO_WEBHOOK_SECRET, apiRoot: e.ZALO_API_ROOT, mode: zaloMode }
      : undefined,
  };
}

/** Reads `.env` (when present) into the process environment, then parses it. Called once by the CLI. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig({ ...process.env, ...overrides });
}
