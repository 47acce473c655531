import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InlineKeyboardMarkup, Message, Update, UserFromGetMe } from 'grammy/types';
import { type Bot, type ChannelFactory, startBot } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { type Logger, silentLogger } from '../../src/log.ts';

/**
 * A fake Telegram Bot API server on 127.0.0.1 speaking the real wire format:
 * POST|GET /bot<token>/<method> with a JSON, urlencoded or query-string payload, answered with
 * {ok:true,result} or {ok:false,error_code,description,parameters?}. It keeps the state the bot can
 * observe (messages and their keyboards per chat, the webhook, the update queue for getUpdates),
 * enforces the limits that matter (text 1–4096, callback_data 1–64 bytes), records every call, and
 * can be told to fail the next N calls of a method (429 retry_after, 500, 403 blocked, or a dropped
 * connection).
 */

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** The HTTP status answered (200, 400, 403, 429, 500; 0 for a dropped connection). */
  status: number;
  at: number;
}

export type ScriptedFailure =
  | { kind: 'rateLimit'; retryAfter: number }
  | { kind: 'serverError' }
  | { kind: 'blocked' }
  | { kind: 'drop' }
  | { kind: 'error'; code: number; description: string };

interface StoredMessage {
  message: Message;
  replyMarkup: InlineKeyboardMarkup | undefined;
}

export const FAKE_TOKEN = '123456:TEST-token_abcdefghijklmnop';

export const FAKE_BOT: UserFromGetMe = {
  id: 123456,
  is_bot: true,
  first_name: 'Trợ lý XHHT',
  username: 'xhht_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

const METHODS = new Set([
  'getMe',
  'getUpdates',
  'setWebhook',
  'deleteWebhook',
  'getWebhookInfo',
  'setMyCommands',
  'sendMessage',
  'answerCallbackQuery',
  'editMessageReplyMarkup',
]);

export class FakeTelegramApi {
  readonly calls: RecordedCall[] = [];
  webhook: { url: string; secret_token?: string; allowed_updates?: string[]; drop_pending_updates?: boolean } | undefined;
  commands: Array<{ command: string; description: string }> = [];
  /** Highest offset the bot confirmed with getUpdates (updates below it are forgotten). */
  confirmedOffset = 0;
  private readonly chats = new Map<string, Map<number, StoredMessage>>();
  private nextMessageId = 1000;
  private readonly failures = new Map<string, Array<ScriptedFailure | null>>();
  private queue: Update[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly apiRoot: string,
    readonly token: string,
  ) {}

  static async start(token = FAKE_TOKEN): Promise<FakeTelegramApi> {
    let fake: FakeTelegramApi | undefined;
    const server = createServer((req, res) => {
      void fake!.onRequest(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeTelegramApi(server, `http://127.0.0.1:${port}`, token);
    return fake;
  }

  async close(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- scripting ---------------------------------------------------------------------------

  /**
   * The next `count` calls of `method` (after `after` more that succeed) fail this way; later calls
   * behave normally again. Scripts queue up: a second failNext applies after the first.
   */
  failNext(method: string, count: number, failure: ScriptedFailure, opts: { after?: number } = {}): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < (opts.after ?? 0); i++) list.push(null);
    for (let i = 0; i < count; i++) list.push(failure);
    this.failures.set(method, list);
  }

  /** Queues an update for getUpdates (and wakes a pending long poll). */
  pushUpdate(update: Update): void {
    this.queue.push(update);
    for (const wake of this.waiters) wake();
  }

  // --- inspection --------------------------------------------------------------------------

  callsTo(method: string, opts: { okOnly?: boolean } = {}): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (!opts.okOnly || c.status === 200));
  }

  /** Messages accepted for a chat, in order. */
  sentTo(chatId: number | string): Array<{ message_id: number; text: string; reply_markup?: InlineKeyboardMarkup }> {
    return [...(this.chats.get(String(chatId))?.values() ?? [])].map((m) => ({
      message_id: m.message.message_id,
      text: (m.message as Message.TextMessage).text,
      ...(m.replyMarkup ? { reply_markup: m.replyMarkup } : {}),
    }));
  }

  /** The keyboard a message shows now (undefined once removed). */
  keyboardOf(chatId: number | string, messageId: number): InlineKeyboardMarkup | undefined {
    return this.chats.get(String(chatId))?.get(messageId)?.replyMarkup;
  }

  /** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > deadline) {
        const recent = this.calls.slice(-8).map((c) => `${c.method}:${c.status}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (recent calls: ${recent || 'none'})`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // --- the wire ----------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m as unknown as [string, string, string];
    const params = await readParams(req, url);
    const call: RecordedCall = { method, params: params ?? {}, status: 200, at: Date.now() };
    this.calls.push(call);
    const answer = (status: number, body: unknown) => {
      call.status = status;
      this.reply(res, status, body);
    };
    if (params === undefined) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: unsupported body' });
    if (token !== this.token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (!METHODS.has(method)) return answer(404, { ok: false, error_code: 404, description: 'Not Found' });

    const failure = this.failures.get(method)?.shift();
    if (failure) {
      switch (failure.kind) {
        case 'rateLimit':
          return answer(429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${failure.retryAfter}`,
            parameters: { retry_after: failure.retryAfter },
          });
        case 'serverError':
          return answer(500, { ok: false, error_code: 500, description: 'Internal Server Error' });
        case 'blocked':
          return answer(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
        case 'error':
          return answer(failure.code, { ok: false, error_code: failure.code, description: failure.description });
        case 'drop':
          call.status = 0;
          req.socket.destroy();
          return;
      }
    }

    const result = await this.dispatch(method, params, req);
    if ('error' in result) return answer(result.error.error_code, { ok: false, ...result.error });
    return answer(200, { ok: true, result: result.ok });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async dispatch(
    method: string,
    p: Record<string, unknown>,
    req: IncomingMessage,
  ): Promise<{ ok: unknown } | { error: { error_code: number; description: string } }> {
    const bad = (description: string) => ({ error: { error_code: 400, description: `Bad Request: ${description}` } });
    switch (method) {
      case 'getMe':
        return { ok: FAKE_BOT };
      case 'setWebhook': {
        if (typeof p.url !== 'string' || !/^https:\/\//.test(p.url)) return bad('bad webhook: An HTTPS URL must be provided for webhook');
        this.webhook = p as NonNullable<FakeTelegramApi['webhook']>;
        if (p.drop_pending_updates === true) this.queue = [];
        return { ok: true };
      }
      case 'deleteWebhook':
        this.webhook = undefined;
        if (p.drop_pending_updates === true) this.queue = [];
        return { ok: true };
      case 'getWebhookInfo':
        return { ok: { url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.queue.length } };
      case 'setMyCommands': {
        const cmds = p.commands;
        if (!Array.isArray(cmds)) return bad('commands must be an array');
        for (const c of cmds as Array<{ command?: unknown; description?: unknown }>) {
          if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) return bad('BOT_COMMAND_INVALID');
          if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) {
            return bad('BOT_COMMAND_DESCRIPTION_INVALID');
          }
        }
        this.commands = cmds as FakeTelegramApi['commands'];
        return { ok: true };
      }
      case 'answerCallbackQuery':
        return typeof p.callback_query_id === 'string' && p.callback_query_id !== '' ? { ok: true } : bad('query is too old and response timeout expired or query ID is invalid');
      case 'sendMessage': {
        const chatId = p.chat_id;
        if (typeof chatId !== 'number' && typeof chatId !== 'string') return bad('chat_id is empty');
        if (typeof p.text !== 'string' || p.text.trim() === '') return bad('message text is empty');
        if (p.text.length > 4096) return bad('message is too long');
        const markup = p.reply_markup as InlineKeyboardMarkup | undefined;
        const problem = markup ? checkKeyboard(markup) : undefined;
        if (problem) return bad(problem);
        const message = {
          message_id: this.nextMessageId++,
          from: FAKE_BOT,
          chat: { id: Number(chatId), type: 'private', first_name: 'Người dùng' },
          date: Math.floor(Date.now() / 1000),
          text: p.text,
          ...(markup && markup.inline_keyboard.length > 0 ? { reply_markup: markup } : {}),
        } as Message.TextMessage;
        const chat = this.chats.get(String(chatId)) ?? new Map<number, StoredMessage>();
        this.chats.set(String(chatId), chat);
        chat.set(message.message_id, { message, replyMarkup: markup && markup.inline_keyboard.length > 0 ? markup : undefined });
        return { ok: message };
      }
      case 'editMessageReplyMarkup': {
        const stored = this.chats.get(String(p.chat_id))?.get(Number(p.message_id));
        if (!stored) return bad('message to edit not found');
        const markup = p.reply_markup as InlineKeyboardMarkup | undefined;
        const next = markup && markup.inline_keyboard.length > 0 ? markup : undefined;
        if (JSON.stringify(next) === JSON.stringify(stored.replyMarkup)) {
          return bad(
            'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
          );
        }
        const problem = next ? checkKeyboard(next) : undefined;
        if (problem) return bad(problem);
        stored.replyMarkup = next;
        return { ok: { ...stored.message, ...(next ? { reply_markup: next } : {}) } };
      }
      case 'getUpdates':
        return this.getUpdates(p, req);
      default:
        return { error: { error_code: 404, description: 'Not Found' } };
    }
  }

  private async getUpdates(p: Record<string, unknown>, req: IncomingMessage): Promise<{ ok: unknown } | { error: { error_code: number; description: string } }> {
    if (this.webhook) {
      return {
        error: { error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" },
      };
    }
    const offset = typeof p.offset === 'number' ? p.offset : undefined;
    if (offset !== undefined && offset > this.confirmedOffset) {
      this.confirmedOffset = offset;
      this.queue = this.queue.filter((u) => u.update_id >= offset);
    }
    const limit = typeof p.limit === 'number' ? p.limit : 100;
    const timeout = typeof p.timeout === 'number' ? p.timeout : 0;
    const deadline = Date.now() + timeout * 1000;
    while (this.queue.length === 0 && Date.now() < deadline && !req.socket.destroyed) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          req.socket.off('close', wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        this.waiters.add(wake);
        req.socket.once('close', wake);
      });
    }
    return { ok: this.queue.slice(0, limit) };
  }
}

function checkKeyboard(markup: InlineKeyboardMarkup): string | undefined {
  if (!Array.isArray(markup.inline_keyboard)) return "can't parse reply keyboard markup JSON object";
  for (const row of markup.inline_keyboard) {
    for (const button of row) {
      if (typeof button.text !== 'string' || button.text === '') return 'text buttons are unallowed in the inline keyboard';
      const data = (button as { callback_data?: unknown }).callback_data;
      if (typeof data === 'string' && (Buffer.byteLength(data, 'utf8') < 1 || Buffer.byteLength(data, 'utf8') > 64)) {
        return 'BUTTON_DATA_INVALID';
      }
    }
  }
  return undefined;
}

/** JSON body, urlencoded body (values that are JSON are decoded, as Telegram does), and the query string. */
async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const params: Record<string, unknown> = {};
  const addForm = (form: URLSearchParams) => {
    for (const [k, v] of form) params[k] = decodeFormValue(v);
  };
  addForm(url.searchParams);
  if (body === '') return params;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    try {
      const json: unknown = JSON.parse(body);
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
      return { ...params, ...(json as Record<string, unknown>) };
    } catch {
      return undefined;
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    addForm(new URLSearchParams(body));
    return params;
  }
  return undefined;
}

function decodeFormValue(v: string): unknown {
  if (/^[[{]/.test(v) || /^-?\d+$/.test(v) || v === 'true' || v === 'false') {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

// --- real-shaped updates ---------------------------------------------------------------------

export function privateChat(userId: number) {
  return { id: userId, type: 'private' as const, first_name: 'Người dùng' };
}

export function user(userId: number) {
  return { id: userId, is_bot: false as const, first_name: 'Người dùng', language_code: 'vi' };
}

let messageCounter = 1;

export function textUpdate(updateId: number, userId: number, text: string): Update {
  const command = /^\/[A-Za-z0-9_]+/.exec(text);
  return {
    update_id: updateId,
    message: {
      message_id: messageCounter++,
      date: Math.floor(Date.now() / 1000),
      chat: privateChat(userId),
      from: user(userId),
      text,
      ...(command ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}

export function stickerUpdate(updateId: number, userId: number): Update {
  return {
    update_id: updateId,
    message: {
      message_id: messageCounter++,
      date: Math.floor(Date.now() / 1000),
      chat: privateChat(userId),
      from: user(userId),
      sticker: {
        file_id: 'CAACAgIAAxkBAAE',
        file_unique_id: 'AgADAQAD',
        type: 'regular',
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
      },
    },
  } as Update;
}

/** A tap on an inline button of `message` (a message the fake recorded). */
export function callbackUpdate(updateId: number, userId: number, data: string, messageId: number, text = ''): Update {
  return {
    update_id: updateId,
    callback_query: {
      id: `cbq-${updateId}`,
      from: user(userId),
      chat_instance: '-4242',
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: privateChat(userId),
        from: FAKE_BOT,
        text,
      },
    },
  } as Update;
}

// --- a whole bot against the fake ------------------------------------------------------------

export const WEBHOOK_SECRET = 'test-secret_0123456789';
export const FLOWS_DIR = fileURLToPath(new URL('../../flows', import.meta.url));
export const DATA_DIR = fileURLToPath(new URL('../../data', import.meta.url));

export interface TelegramHarness {
  fake: FakeTelegramApi;
  bot: Bot;
  url: string;
  /** POSTs an update to the webhook with the right secret (or `secret`), returns the status. */
  post(update: unknown, opts?: { secret?: string | null; rawBody?: string }): Promise<number>;
  /** Waits until nothing is pending in the outbox. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTelegramBot(opts: {
  factory: ChannelFactory;
  env?: Record<string, string>;
  flowsDir?: string;
  fake?: FakeTelegramApi;
  dir?: string;
  logger?: Logger;
}): Promise<TelegramHarness> {
  const fake = opts.fake ?? (await FakeTelegramApi.start());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'xhht-tg-'));
  const config = parseConfig({
    NODE_ENV: 'test',
    DB_PATH: join(dir, 'bot.sqlite'),
    // Reference data (administrative units, sample roster) is only read from here.
    DATA_DIR: DATA_DIR,
    PORT: '0',
    HOST: '127.0.0.1',
    FLOWS_DIR: opts.flowsDir ?? FLOWS_DIR,
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '20',
    LOCAL_CHAT_ON_START: 'false',
    PUBLIC_URL: 'https://xhht.example.vn',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_MODE: 'webhook',
    ...opts.env,
  });
  const bot = await startBot(config, opts.logger ?? silentLogger, [opts.factory]);
  const url = `http://127.0.0.1:${bot.port}/webhooks/telegram`;
  let closed = false;
  return {
    fake,
    bot,
    url,
    async post(update, o = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const secret = o.secret === undefined ? WEBHOOK_SECRET : o.secret;
      if (secret !== null) headers['x-telegram-bot-api-secret-token'] = secret;
      const res = await fetch(url, { method: 'POST', headers, body: o.rawBody ?? JSON.stringify(update) });
      await res.arrayBuffer();
      return res.status;
    },
    async idle(timeoutMs = 5000) {
      await fake.waitFor(() => !bot.store.outboxCounts().pending, 'an empty outbox', timeoutMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await bot.stop();
      if (!opts.fake) await fake.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The inline buttons of a recorded message, flattened. */
export function buttonsOf(message: { reply_markup?: InlineKeyboardMarkup } | undefined): Array<{ text: string; data: string }> {
  return (message?.reply_markup?.inline_keyboard ?? []).flat().map((b) => ({
    text: b.text,
    data: (b as { callback_data?: string }).callback_data ?? '',
  }));
}
