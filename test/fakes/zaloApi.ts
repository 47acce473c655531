import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Zalo Bot Platform API on 127.0.0.1, speaking the documented shapes
 * (shared/reference/platforms.md A.1): `POST /bot<token>/<method>`, JSON in, and
 * `{ok, result?, description?, error_code?}` out. It records every call, can be scripted to fail
 * (429 "Quota exceeded", 500, 401, 403, or never answer), and serves getUpdates from a queue:
 * one update per call, or after a hold with nothing queued the 408 "Request timeout" error.
 */

export interface FakeZaloCall {
  method: string;
  /** True when the URL carried the expected token. */
  tokenOk: boolean;
  params: Record<string, unknown>;
  /** HTTP status answered; 0 while (or when) the request hangs. */
  status: number;
  at: number;
}

export type FakeReply = { status: number; body: unknown } | { hang: true };

const error = (code: number, description: string): FakeReply => ({ status: code, body: { ok: false, error_code: code, description } });

/** Canned failures, as the real API words them. */
export const zaloReplies = {
  quota: () => error(429, 'Quota exceeded'),
  serverError: () => error(500, 'Internal Server Error'),
  unauthorized: () => error(401, 'Unauthorized'),
  forbidden: () => error(403, 'Forbidden'),
  badRequest: () => error(400, 'Bad Request'),
  hang: (): FakeReply => ({ hang: true }),
};

export interface FakeZaloOptions {
  token: string;
  /** How long getUpdates waits for an update before answering 408 (capped by the call's `timeout`). */
  pollHoldMs?: number;
  /**
   * How "nothing arrived" is answered: `http408` (HTTP 408 + error body, the default), `ok408`
   * (HTTP 200 + the same error body) or `empty` (`{ok: true}` without a result). Which one the real
   * API uses is not documented beyond error_code 408; the client must read all three.
   */
  emptyPoll?: 'http408' | 'ok408' | 'empty';
}

const KNOWN_METHODS = new Set([
  'getMe',
  'getUpdates',
  'setWebhook',
  'deleteWebhook',
  'getWebhookInfo',
  'sendMessage',
  'sendPhoto',
  'sendSticker',
  'sendChatAction',
]);

export class FakeZaloApi {
  readonly calls: FakeZaloCall[] = [];
  webhookUrl = '';
  webhookSecret = '';
  private readonly scripted = new Map<string, FakeReply[]>();
  private readonly persistent = new Map<string, FakeReply>();
  private readonly updates: unknown[] = [];
  private readonly pollWaiters = new Set<() => void>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly opts: FakeZaloOptions,
  ) {}

  static async start(opts: FakeZaloOptions): Promise<FakeZaloApi> {
    let fake: FakeZaloApi | undefined;
    const server = createServer((req, res) => {
      fake!.onRequest(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    fake = new FakeZaloApi(server, opts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The value for ZALO_API_ROOT. */
  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next calls of `method` get these replies, in order; later calls succeed again. */
  script(method: string, ...replies: FakeReply[]): void {
    this.scripted.set(method, [...(this.scripted.get(method) ?? []), ...replies]);
  }

  /** Every call of `method` gets this reply until cleared with `undefined`. */
  always(method: string, reply: FakeReply | undefined): void {
    if (reply) this.persistent.set(method, reply);
    else this.persistent.delete(method);
  }

  /** Queues an update (a bare `{event_name, message}`) for getUpdates. */
  queueUpdate(update: unknown): void {
    this.updates.push(update);
    for (const wake of this.pollWaiters) wake();
  }

  callsTo(method: string): FakeZaloCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Texts the fake accepted through sendMessage (HTTP 200), in arrival order. */
  messagesTo(chatId?: string): string[] {
    return this.calls
      .filter((c) => c.method === 'sendMessage' && c.status === 200 && (chatId === undefined || c.params.chat_id === chatId))
      .map((c) => String(c.params.text));
  }

  /** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
  async waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        const seen = this.calls.map((c) => `${c.method}:${c.status}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${seen || 'none'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const wake of this.pollWaiters) wake();
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return send(res, { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
    const [, token, method] = match as unknown as [string, string, string];
    const params = { ...Object.fromEntries(url.searchParams), ...(await readParams(req)) };
    const call: FakeZaloCall = { method, tokenOk: token === this.opts.token, params, status: 0, at: Date.now() };
    this.calls.push(call);

    const reply = await this.replyTo(call, req);
    if ('hang' in reply) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    call.status = reply.status;
    send(res, reply);
  }

  private async replyTo(call: FakeZaloCall, req: IncomingMessage): Promise<FakeReply> {
    if (!call.tokenOk) return zaloReplies.unauthorized();
    if (!KNOWN_METHODS.has(call.method)) return error(404, 'Not Found');
    const queued = this.scripted.get(call.method);
    if (queued && queued.length > 0) return queued.shift()!;
    const always = this.persistent.get(call.method);
    if (always) return always;
    const p = call.params;
    const ok = (result?: unknown): FakeReply => ({ status: 200, body: result === undefined ? { ok: true } : { ok: true, result } });

    switch (call.method) {
      case 'getMe':
        return ok({ id: '1234567890', account_name: 'Bot XHHT', account_type: 'BASIC', can_join_groups: false });
      case 'sendMessage': {
        if (typeof p.chat_id !== 'string' || p.chat_id === '') return zaloReplies.badRequest();
        if (typeof p.text !== 'string' || p.text.length < 1 || p.text.length > 2000) return error(400, 'Bad Request: text must be 1-2000 characters');
        return ok({ message_id: randomBytes(10).toString('hex'), date: Date.now() });
      }
      case 'sendChatAction':
        if (typeof p.chat_id !== 'string' || p.action !== 'typing') return zaloReplies.badRequest();
        return ok();
      case 'setWebhook': {
        const secret = p.secret_token;
        if (typeof p.url !== 'string' || typeof secret !== 'string' || secret.length < 8 || secret.length > 256) return zaloReplies.badRequest();
        this.webhookUrl = p.url;
        this.webhookSecret = secret;
        return ok({ url: p.url, updated_at: Date.now() });
      }
      case 'deleteWebhook':
        this.webhookUrl = '';
        this.webhookSecret = '';
        return ok({ url: '', updated_at: Date.now() });
      case 'getWebhookInfo':
        return ok({ url: this.webhookUrl, updated_at: Date.now() });
      case 'getUpdates':
        return this.poll(call, req);
      default:
        return ok({ message_id: randomBytes(10).toString('hex'), date: Date.now() });
    }
  }

  private async poll(call: FakeZaloCall, req: IncomingMessage): Promise<FakeReply> {
    // The docs say getUpdates does not work while a webhook is set; the error they give for it is
    // not documented, so the 409 here is the fake's own stand-in.
    if (this.webhookUrl !== '') return error(409, 'Conflict: webhook is active');
    const timeoutSec = Number(call.params.timeout ?? 30);
    const hold = Math.min(Number.isFinite(timeoutSec) ? timeoutSec * 1000 : 30_000, this.opts.pollHoldMs ?? 200);
    if (this.updates.length === 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.pollWaiters.delete(done);
          req.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, hold);
        this.pollWaiters.add(done);
        req.on('close', done);
      });
    }
    const update = this.updates.shift();
    if (update !== undefined) return { status: 200, body: { ok: true, result: update } };
    switch (this.opts.emptyPoll ?? 'http408') {
      case 'ok408':
        return { status: 200, body: { ok: false, error_code: 408, description: 'Request timeout' } };
      case 'empty':
        return { status: 200, body: { ok: true } };
      default:
        return error(408, 'Request timeout');
    }
  }
}

function send(res: ServerResponse, reply: { status: number; body: unknown }): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(reply.body));
}

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    const json: unknown = JSON.parse(raw);
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// --- update builders ------------------------------------------------------------------------

export interface UpdateOptions {
  messageId: string;
  userId: string;
  /** Defaults to userId (a private chat). */
  chatId?: string;
  displayName?: string;
}

function messageOf(o: UpdateOptions, extra: Record<string, unknown>) {
  return {
    from: { id: o.userId, display_name: o.displayName ?? 'Nguyễn Văn Thử', is_bot: false },
    chat: { id: o.chatId ?? o.userId, chat_type: 'PRIVATE' },
    message_id: o.messageId,
    date: Date.now(),
    ...extra,
  };
}

/** A bare update, as getUpdates returns it. */
export function textUpdate(o: UpdateOptions & { text: string }) {
  return { event_name: 'message.text.received', message: messageOf(o, { text: o.text }) };
}

export function stickerUpdate(o: UpdateOptions) {
  return { event_name: 'message.sticker.received', message: messageOf(o, { sticker: 'bfe458bf64fa8da4d4eb', url: 'https://zalo-api.zadn.vn/sticker.png' }) };
}

export function imageUpdate(o: UpdateOptions) {
  return { event_name: 'message.image.received', message: messageOf(o, { photo: 'https://photo.example/p.jpg', caption: 'ảnh' }) };
}

/** A protected sender's message: no content at all. */
export function unsupportedUpdate(o: UpdateOptions) {
  return { event_name: 'message.unsupported.received', message: messageOf(o, {}) };
}

/** The documented webhook body: `{ok: true, result: update}`. */
export function webhookBody(update: unknown) {
  return { ok: true, result: update };
}
