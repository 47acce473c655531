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
  'EXPORT_PSEUDONYM_KEY',
  'ZALO_OA_APP_SECRET',
  'ZALO_OA_SECRET_KEY',
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

// --- Zalo Official Account -------------------------------------------------------------------

/** What a reminder may do when a Zalo OA person is outside the messaging window, in the operator's order. */
export const ZALO_OA_FALLBACKS = ['early', 'zns', 'other_channel', 'list'] as const;
export type ZaloOaFallback = (typeof ZALO_OA_FALLBACKS)[number];

/** Reminder facts a ZNS template parameter can be filled with (ZALO_OA_ZNS_TEMPLATE_DATA). */
export const ZNS_FACTS = ['unit_name', 'deadline_title', 'period', 'due_date', 'due_status', 'office'] as const;
export type ZnsFact = (typeof ZNS_FACTS)[number];

export interface ZaloOaConfig {
  appId: string;
  /** App secret key: the `secret_key` header of the OAuth token endpoint. */
  appSecret: string;
  /** OA secret key (the app's Webhook page): signs X-ZEvent-Signature. Not the app secret. */
  oaSecretKey: string;
  apiRoot: string;
  oauthRoot: string;
  znsRoot: string;
  /** The callback URL registered in the Zalo app, for `xhht zalo-oa authorize`. */
  redirectUri: string | undefined;
  webhookToleranceMs: number;
  /** Consultation messages only within `windowHours` of the person's last message; free for `freeHours`. */
  window: { windowHours: number; freeHours: number; earlyLeadHours: number };
  reminderFallback: ZaloOaFallback[];
  zns: { templateId: string; data: Record<string, ZnsFact>; development: boolean } | undefined;
}

function zaloOaEnv() {
  const hours = (def: number, max: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(max).default(def));
  return {
    ZALO_OA_APP_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d{5,30}$/, 'must be the numeric App ID').optional()),
    ZALO_OA_APP_SECRET: z.preprocess(emptyToUndefined, z.string().min(8, 'looks too short to be an app secret key').optional()),
    ZALO_OA_SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(8, 'looks too short to be an OA secret key').optional()),
    ZALO_OA_API_ROOT: z.preprocess(emptyToUndefined, httpUrl.default('https://openapi.zalo.me')),
    ZALO_OA_OAUTH_ROOT: z.preprocess(emptyToUndefined, httpUrl.default('https://oauth.zaloapp.com')),
    ZALO_OA_ZNS_ROOT: z.preprocess(emptyToUndefined, httpUrl.default('https://business.openapi.zalo.me')),
    ZALO_OA_REDIRECT_URI: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional()),
    ZALO_OA_WEBHOOK_TOLERANCE_SEC: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).max(3600).default(300)),
    ZALO_OA_WINDOW_HOURS: hours(168, 24 * 90),
    ZALO_OA_FREE_HOURS: hours(48, 24 * 90),
    ZALO_OA_EARLY_LEAD_HOURS: hours(24, 24 * 7),
    ZALO_OA_REMINDER_FALLBACK: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default('early,zns,other_channel,list')
        .transform((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''))
        .pipe(
          z
            .array(z.enum(ZALO_OA_FALLBACKS, { message: `each must be one of ${ZALO_OA_FALLBACKS.join(', ')}` }))
            .min(1)
            .refine((a) => new Set(a).size === a.length, 'must not repeat an option'),
        ),
    ),
    ZALO_OA_ZNS_TEMPLATE_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d{1,20}$/, 'must be the numeric template id').optional()),
    ZALO_OA_ZNS_TEMPLATE_DATA: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== '').map((p) => p.split('=').map((x) => x.trim())))
        .pipe(
          z.array(
            z.tuple(
              [z.string().regex(/^[A-Za-z0-9_]{1,50}$/, 'each entry must be param=fact'), z.enum(ZNS_FACTS, { message: `facts: ${ZNS_FACTS.join(', ')}` })],
              { message: 'each entry must be param=fact' },
            ),
          ),
        )
        .optional(),
    ),
    ZALO_OA_ZNS_MODE: z.preprocess(emptyToUndefined, z.enum(['production', 'development']).default('production')),
  };
}

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
  TURN_WORKER: bool(true),
  INBOX_RETENTION_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(2).max(3650).default(7)),
  REMINDERS_ENABLED: bool(true),
  REMINDERS_INTERVAL_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1000).max(3_600_000).default(60_000)),

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

  EXPORT_PSEUDONYM_KEY: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),

  ...zaloOaEnv(),
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
  /** Webhook turns run on a worker thread with its own connection (see src/service/turnWorker/). */
  turnWorker: boolean;
  /** Days an inbound event's dedupe record is kept (platforms redeliver for a day at most). */
  inboxRetentionDays: number;
  /** Deadline reminders (calendar: DATA_DIR/deadlines.yaml): on/off and how often the planner runs. */
  reminders: { enabled: boolean; intervalMs: number };
  telegram:
    | { token: string; webhookSecret: string | undefined; apiRoot: string; mode: 'webhook' | 'polling' }
    | undefined;
  zalo: { token: string; webhookSecret: string | undefined; apiRoot: string; mode: 'webhook' | 'polling' } | undefined;
  /** HMAC key for pseudonymised exports; unset: a key generated once and kept in the database. */
  exportPseudonymKey: string | undefined;
  /** Zalo Official Account (Open API v3); undefined unless app id, app secret and OA secret key are all set. */
  zaloOa: ZaloOaConfig | undefined;
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
  const zaloOa = zaloOaConfigOf(e, problems);
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
    turnWorker: e.TURN_WORKER,
    inboxRetentionDays: e.INBOX_RETENTION_DAYS,
    reminders: { enabled: e.REMINDERS_ENABLED, intervalMs: e.REMINDERS_INTERVAL_MS },
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
    exportPseudonymKey: e.EXPORT_PSEUDONYM_KEY,
    zaloOa,
  };
}

function zaloOaConfigOf(e: Env, problems: string[]): ZaloOaConfig | undefined {
  const keys = { ZALO_OA_APP_ID: e.ZALO_OA_APP_ID, ZALO_OA_APP_SECRET: e.ZALO_OA_APP_SECRET, ZALO_OA_SECRET_KEY: e.ZALO_OA_SECRET_KEY };
  const missing = Object.entries(keys).filter(([, v]) => v === undefined).map(([k]) => k);
  if (e.ZALO_OA_ZNS_TEMPLATE_DATA && !e.ZALO_OA_ZNS_TEMPLATE_ID) problems.push('ZALO_OA_ZNS_TEMPLATE_DATA: set ZALO_OA_ZNS_TEMPLATE_ID too');
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    for (const k of missing) problems.push(`${k}: required when any ZALO_OA_* key is set (app id, app secret key, OA secret key)`);
    return undefined;
  }
  if (e.ZALO_OA_FREE_HOURS > e.ZALO_OA_WINDOW_HOURS) problems.push('ZALO_OA_FREE_HOURS: must not exceed ZALO_OA_WINDOW_HOURS');
  return {
    appId: e.ZALO_OA_APP_ID!,
    appSecret: e.ZALO_OA_APP_SECRET!,
    oaSecretKey: e.ZALO_OA_SECRET_KEY!,
    apiRoot: e.ZALO_OA_API_ROOT,
    oauthRoot: e.ZALO_OA_OAUTH_ROOT,
    znsRoot: e.ZALO_OA_ZNS_ROOT,
    redirectUri: e.ZALO_OA_REDIRECT_URI,
    webhookToleranceMs: e.ZALO_OA_WEBHOOK_TOLERANCE_SEC * 1000,
    window: { windowHours: e.ZALO_OA_WINDOW_HOURS, freeHours: e.ZALO_OA_FREE_HOURS, earlyLeadHours: e.ZALO_OA_EARLY_LEAD_HOURS },
    reminderFallback: e.ZALO_OA_REMINDER_FALLBACK,
    zns: e.ZALO_OA_ZNS_TEMPLATE_ID
      ? { templateId: e.ZALO_OA_ZNS_TEMPLATE_ID, data: Object.fromEntries(e.ZALO_OA_ZNS_TEMPLATE_DATA ?? []), development: e.ZALO_OA_ZNS_MODE === 'development' }
      : undefined,
  };
}

/** Reads `.env` (when present) into the process environment, then parses it. Called once by the CLI. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig({ ...process.env, ...overrides });
}
