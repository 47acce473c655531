import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Zalo OA Open API v3, OAuth v4 server and ZNS endpoint on 127.0.0.1, speaking the shapes in
 * shared/reference/platforms.md A.2:
 *   POST /v3.0/oa/message/cs, /v3.0/oa/message/transaction   header access_token → {error, message, data}
 *   POST /zns/message/template                                 (ZALO_OA_ZNS_ROOT = root + "/zns")
 *   POST /v4/oa/access_token                                   form; secret_key header; PKCE; rotating refresh
 * It records every call, answers -216 to unknown or expired access tokens, -230 to people whose
 * window the test closed, spends each refresh token once, and can hold refreshes until released.
 */

export interface FakeOaCall {
  endpoint: 'cs' | 'transaction' | 'zns' | 'oauth';
  body: Record<string, unknown>;
  tokenOk: boolean;
  /** Zalo's `error` (0 = success); undefined while a request is held. */
  error: number | undefined;
  at: number;
}

export type OaReply = { error: number; message: string; data?: unknown };

export interface SentOaMessage {
  userId: string;
  text: string;
  buttons: Array<{ title: string; type: string; payload: string }>;
}

export class FakeZaloOa {
  readonly calls: FakeOaCall[] = [];
  private readonly validAccess = new Set<string>();
  private currentRefresh: string | undefined;
  private readonly codes = new Map<string, string>();
  private readonly scripted = new Map<FakeOaCall['endpoint'], OaReply[]>();
  /** People whose 7-day window is closed: consultation messages get -230. */
  readonly windowClosed = new Set<string>();
  private hold: Promise<void> | undefined;
  private holdWaiters = 0;

  private constructor(
    private readonly server: Server,
    readonly appId: string,
    readonly appSecret: string,
  ) {}

  static async start(opts: { appId: string; appSecret: string }): Promise<FakeZaloOa> {
    let fake: FakeZaloOa | undefined;
    const server = createServer((req, res) => {
      fake!.onRequest(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    fake = new FakeZaloOa(server, opts.appId, opts.appSecret);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get root(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get znsRoot(): string {
    return `${this.root}/zns`;
  }

  /** A valid pair, as if the OA had been authorised; the test stores it in the bot's database. */
  issueTokens(): { accessToken: string; refreshToken: string } {
    const accessToken = `AT-${randomBytes(12).toString('hex')}`;
    const refreshToken = `RT-${randomBytes(12).toString('hex')}`;
    this.validAccess.add(accessToken);
    this.currentRefresh = refreshToken;
    return { accessToken, refreshToken };
  }

  /** Zalo expires every access token: the next call gets -216. */
  expireAccessTokens(): void {
    this.validAccess.clear();
  }

  /** The refresh token stops working (3 months passed, or the OA revoked the app). */
  killRefreshToken(): void {
    this.currentRefresh = undefined;
  }

  /** Refresh requests wait until the returned function is called. */
  holdRefreshes(): () => void {
    let release!: () => void;
    this.hold = new Promise<void>((r) => (release = r));
    return () => {
      this.hold = undefined;
      release();
    };
  }

  /** How many refresh requests are waiting on holdRefreshes(). */
  get heldRefreshes(): number {
    return this.holdWaiters;
  }

  /** The person granted access in the browser: Zalo's code for this PKCE challenge. */
  grant(codeChallenge: string): string {
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.codes.set(code, codeChallenge);
    return code;
  }

  script(endpoint: FakeOaCall['endpoint'], ...replies: OaReply[]): void {
    this.scripted.set(endpoint, [...(this.scripted.get(endpoint) ?? []), ...replies]);
  }

  refreshCalls(): number {
    return this.calls.filter((c) => c.endpoint === 'oauth' && c.body.grant_type === 'refresh_token').length;
  }

  /** Consultation messages Zalo accepted, in order. */
  messagesTo(userId?: string): SentOaMessage[] {
    return this.calls
      .filter((c) => c.endpoint === 'cs' && c.error === 0)
      .map((c) => {
        const recipient = c.body.recipient as { user_id: string };
        const message = c.body.message as { text: string; attachment?: { payload?: { buttons?: SentOaMessage['buttons'] } } };
        return { userId: recipient.user_id, text: message.text, buttons: message.attachment?.payload?.buttons ?? [] };
      })
      .filter((m) => userId === undefined || m.userId === userId);
  }

  znsSent(): FakeOaCall[] {
    return this.calls.filter((c) => c.endpoint === 'zns' && c.error === 0);
  }

  async waitFor(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        const seen = this.calls.map((c) => `${c.endpoint}:${c.error}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${seen || 'none'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.hold = undefined;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const endpoint = ({
      '/v3.0/oa/message/cs': 'cs',
      '/v3.0/oa/message/transaction': 'transaction',
      '/zns/message/template': 'zns',
      '/v4/oa/access_token': 'oauth',
    } as const)[url.pathname];
    if (!endpoint || req.method !== 'POST') return send(res, 404, { error: -1, message: 'empty api' });
    const body = endpoint === 'oauth' ? Object.fromEntries(new URLSearchParams(raw)) : parseJson(raw);
    const token = req.headers.access_token;
    const call: FakeOaCall = { endpoint, body, tokenOk: typeof token === 'string' && this.validAccess.has(token), error: undefined, at: Date.now() };
    this.calls.push(call);
    const reply = endpoint === 'oauth' ? await this.oauth(req, body) : this.api(endpoint, call);
    call.error = 'error' in reply.body && typeof reply.body.error === 'number' ? reply.body.error : 0;
    send(res, reply.status, reply.body);
  }

  private api(endpoint: 'cs' | 'transaction' | 'zns', call: FakeOaCall): { status: number; body: Record<string, unknown> } {
    if (!call.tokenOk) return { status: 200, body: { error: -216, message: 'Access token is invalid' } };
    const queued = this.scripted.get(endpoint)?.shift();
    if (queued) return { status: 200, body: queued as unknown as Record<string, unknown> };
    const b = call.body;
    if (endpoint === 'zns') {
      if (typeof b.template_id !== 'string' || typeof b.template_data !== 'object') return { status: 200, body: { error: -1124, message: 'Template data invalid' } };
      return { status: 200, body: { error: 0, message: 'Success', data: { msg_id: randomBytes(8).toString('hex'), sent_time: String(Date.now()), quota: { dailyQuota: '500', remainingQuota: '499' } } } };
    }
    const userId = (b.recipient as { user_id?: unknown } | undefined)?.user_id;
    const message = b.message as { text?: unknown; attachment?: { payload?: { buttons?: unknown[] } } } | undefined;
    if (typeof userId !== 'string' || userId === '') return { status: 200, body: { error: -201, message: 'user_id is invalid' } };
    if (typeof message?.text !== 'string' || message.text.length < 1 || message.text.length > 2000) {
      return { status: 200, body: { error: -201, message: 'text length is invalid' } };
    }
    if ((message.attachment?.payload?.buttons?.length ?? 0) > 5) return { status: 200, body: { error: -201, message: 'too many buttons' } };
    if (this.windowClosed.has(userId)) return { status: 200, body: { error: -230, message: 'User has not interacted with the OA in the past 7 days' } };
    return { status: 200, body: { error: 0, message: 'Success', data: { message_id: randomBytes(10).toString('hex'), user_id: userId } } };
  }

  private async oauth(req: IncomingMessage, form: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const refuse = (error: number, name: string) => ({ status: 200, body: { error, error_name: name, error_description: name } });
    if (req.headers.secret_key !== this.appSecret) return refuse(-14002, 'Invalid secret key');
    if (form.app_id !== this.appId) return refuse(-14001, 'Invalid app_id');
    if (form.grant_type === 'authorization_code') {
      const challenge = typeof form.code === 'string' ? this.codes.get(form.code) : undefined;
      if (!challenge) return refuse(-14019, 'Invalid authorization code');
      this.codes.delete(form.code as string);
      const computed = createHash('sha256').update(String(form.code_verifier ?? '')).digest('base64url');
      if (computed !== challenge) return refuse(-14019, 'Invalid code verifier');
      return { status: 200, body: this.rotate() };
    }
    if (form.grant_type === 'refresh_token') {
      if (this.hold) {
        this.holdWaiters++;
        await this.hold;
        this.holdWaiters--;
      }
      if (!this.currentRefresh || form.refresh_token !== this.currentRefresh) return refuse(-14014, 'Invalid refresh token');
      return { status: 200, body: this.rotate() };
    }
    return refuse(-14003, 'Invalid grant_type');
  }

  /** A new pair; the refresh token just used (if any) is spent. Zalo sends expires_in as a string. */
  private rotate(): Record<string, unknown> {
    const t = this.issueTokens();
    return { access_token: t.accessToken, refresh_token: t.refreshToken, expires_in: '90000' };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// --- signed webhook events -----------------------------------------------------------------

/** Zalo's X-ZEvent-Signature, computed here independently of the code under test. */
export function zaloSignature(appId: string, rawBody: string, timestamp: string, oaSecretKey: string): string {
  return `mac=${createHash('sha256').update(`${appId}${rawBody}${timestamp}${oaSecretKey}`, 'utf8').digest('hex')}`;
}

export interface OaEventOptions {
  appId: string;
  userId: string;
  oaId?: string;
  timestamp?: number;
}

/** A user_send_text event as Zalo writes it (timestamp in ms, as a string). */
export function textEvent(o: OaEventOptions & { msgId: string; text: string }): Record<string, unknown> {
  return {
    app_id: o.appId,
    user_id_by_app: `app-${o.userId}`,
    event_name: 'user_send_text',
    timestamp: String(o.timestamp ?? Date.now()),
    sender: { id: o.userId },
    recipient: { id: o.oaId ?? '579745863508352884' },
    message: { msg_id: o.msgId, text: o.text },
  };
}

export function mediaEvent(o: OaEventOptions & { msgId: string; kind: 'image' | 'sticker' | 'audio' }): Record<string, unknown> {
  return {
    app_id: o.appId,
    event_name: `user_send_${o.kind}`,
    timestamp: String(o.timestamp ?? Date.now()),
    sender: { id: o.userId },
    recipient: { id: o.oaId ?? '579745863508352884' },
    message: { msg_id: o.msgId, attachments: [{ type: o.kind, payload: { url: 'https://photo.example/p.jpg' } }] },
  };
}

export function followEvent(o: OaEventOptions & { event: 'follow' | 'unfollow' }): Record<string, unknown> {
  return {
    app_id: o.appId,
    event_name: o.event,
    timestamp: String(o.timestamp ?? Date.now()),
    oa_id: o.oaId ?? '579745863508352884',
    source: 'oa_profile',
    follower: { id: o.userId },
  };
}

/** POSTs a raw body with a signature; `signature: null` leaves the header out. */
export function postSigned(url: string, raw: string, p: { appId: string; secretKey: string; timestamp: string; signature?: string | null }): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = p.signature === undefined ? zaloSignature(p.appId, raw, p.timestamp, p.secretKey) : p.signature;
  if (sig !== null) headers['X-ZEvent-Signature'] = sig;
  return fetch(url, { method: 'POST', headers, body: raw });
}
