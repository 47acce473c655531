import { z } from 'zod';

/**
 * A small client for the Zalo Bot Platform API (bot-api.zaloplatforms.com): POST + JSON to
 * `${apiRoot}/bot${token}/${method}`, every answer checked against `{ok, result?, description?, error_code?}`.
 * The token sits in the URL, so neither the URL nor a fetch error's text ever leaves this module.
 */

export type ZaloErrorKind =
  /** The API answered `ok: false` (or a non-2xx status): `errorCode` holds its code. */
  | 'api'
  /** No answer: connection refused or reset, DNS, TLS. */
  | 'network'
  /** Our own request timeout fired. */
  | 'timeout'
  /** The caller's signal aborted the request (shutdown). */
  | 'aborted'
  /** An answer that is not the documented envelope. */
  | 'invalid_response';

export class ZaloApiError extends Error {
  override readonly name = 'ZaloApiError';
  constructor(
    readonly method: string,
    readonly kind: ZaloErrorKind,
    /** The API's `error_code` (or the HTTP status when the body had none). */
    readonly errorCode: number | undefined,
    readonly description: string,
    readonly httpStatus?: number,
  ) {
    super(`zalo ${method}: ${errorCode !== undefined ? `${errorCode} ` : ''}${description}`);
  }

  /** getUpdates found nothing during its long poll: not a failure. */
  get isPollTimeout(): boolean {
    return this.kind === 'api' && this.errorCode === 408;
  }

  /** 429 "Quota exceeded". */
  get isRateLimited(): boolean {
    return this.kind === 'api' && this.errorCode === 429;
  }

  /** 401 (invalid or expired token) or 403 (not allowed to message this chat). */
  get isUnauthorized(): boolean {
    return this.kind === 'api' && (this.errorCode === 401 || this.errorCode === 403);
  }
}

const envelopeSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  description: z.string().optional(),
  error_code: z.coerce.number().int().optional(),
});

/** Results are read leniently: `ok: true` is what proves success, extra or missing fields must not turn a delivered message into a retry. */
const botInfoSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  account_name: z.string().optional(),
  account_type: z.string().optional(),
  can_join_groups: z.boolean().optional(),
});
export type ZaloBotInfo = z.output<typeof botInfoSchema>;

const webhookInfoSchema = z
  .looseObject({ url: z.string().optional(), updated_at: z.number().optional() })
  .optional()
  .transform((v) => ({ url: v?.url ?? '', updatedAt: v?.updated_at }));
export type ZaloWebhookInfo = z.output<typeof webhookInfoSchema>;

const sentSchema = z
  .looseObject({ message_id: z.union([z.string(), z.number()]).transform(String).optional(), date: z.number().optional() })
  .optional()
  .catch(undefined)
  .transform((v) => ({ messageId: v?.message_id, date: v?.date }));
export type ZaloSent = z.output<typeof sentSchema>;

export interface ZaloClientOptions {
  token: string;
  apiRoot: string;
  /** Timeout of ordinary calls (sendMessage, setWebhook …). */
  requestTimeoutMs?: number;
  /** Added to getUpdates' own long-poll timeout, so the server answers before we give up. */
  pollGraceMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class ZaloClient {
  private readonly base: string;
  private readonly requestTimeoutMs: number;
  private readonly pollGraceMs: number;

  constructor(private readonly opts: ZaloClientOptions) {
    this.base = `${opts.apiRoot.replace(/\/+$/, '')}/bot${opts.token}`;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.pollGraceMs = opts.pollGraceMs ?? 10_000;
  }

  async getMe(opts?: CallOptions): Promise<ZaloBotInfo> {
    return this.parseResult('getMe', botInfoSchema, await this.call('getMe', {}, opts));
  }

  /**
   * One long poll. Resolves with the raw update (a single object, not a list), or undefined when
   * nothing arrived in `timeoutSec` (the API's 408, or an `ok` answer without a result).
   */
  async getUpdates(timeoutSec: number, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
    try {
      // The docs type `timeout` as a string of seconds.
      const result = await this.call('getUpdates', { timeout: String(timeoutSec) }, {
        signal: opts.signal,
        timeoutMs: timeoutSec * 1000 + this.pollGraceMs,
      });
      return result ?? undefined;
    } catch (err) {
      if (err instanceof ZaloApiError && err.isPollTimeout) return undefined;
      throw err;
    }
  }

  async setWebhook(params: { url: string; secretToken: string }, opts?: CallOptions): Promise<ZaloWebhookInfo> {
    const result = await this.call('setWebhook', { url: params.url, secret_token: params.secretToken }, opts);
    return this.parseResult('setWebhook', webhookInfoSchema, result);
  }

  async deleteWebhook(opts?: CallOptions): Promise<ZaloWebhookInfo> {
    return this.parseResult('deleteWebhook', webhookInfoSchema, await this.call('deleteWebhook', {}, opts));
  }

  async getWebhookInfo(opts?: CallOptions): Promise<ZaloWebhookInfo> {
    return this.parseResult('getWebhookInfo', webhookInfoSchema, await this.call('getWebhookInfo', {}, opts));
  }

  /** `text` must be 1–2000 characters; render.ts splits longer texts before they get here. */
  async sendMessage(params: { chatId: string; text: string }, opts?: CallOptions): Promise<ZaloSent> {
    const result = await this.call('sendMessage', { chat_id: params.chatId, text: params.text }, opts);
    return sentSchema.parse(result);
  }

  async sendChatAction(params: { chatId: string; action: 'typing' }, opts?: CallOptions): Promise<void> {
    await this.call('sendChatAction', { chat_id: params.chatId, action: params.action }, opts);
  }

  /** Calls one method and returns its `result`; every failure is a ZaloApiError without the URL in it. */
  async call(method: string, params: Record<string, unknown>, opts: CallOptions = {}): Promise<unknown> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.requestTimeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(params),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new ZaloApiError(method, 'aborted', undefined, 'request aborted');
      if (timeout.aborted) throw new ZaloApiError(method, 'timeout', undefined, 'request timed out');
      throw new ZaloApiError(method, 'network', undefined, `network error (${networkCode(err)})`);
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A proxy's HTML error page, an empty body …: keep the status, drop the body.
      throw new ZaloApiError(method, res.ok ? 'invalid_response' : 'api', res.ok ? undefined : res.status, 'response is not JSON', res.status);
    }
    const env = envelopeSchema.safeParse(json);
    if (!env.success) {
      throw new ZaloApiError(method, res.ok ? 'invalid_response' : 'api', res.ok ? undefined : res.status, 'response is not a Bot API envelope', res.status);
    }
    const { ok, result, description, error_code } = env.data;
    if (!ok || !res.ok) {
      const code = error_code ?? res.status;
      throw new ZaloApiError(method, 'api', code, this.clean(description ?? `HTTP ${res.status}`), res.status);
    }
    return result;
  }

  private parseResult<S extends z.ZodType>(method: string, schema: S, result: unknown): z.output<S> {
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw new ZaloApiError(method, 'invalid_response', undefined, 'unexpected result shape');
    return parsed.data;
  }

  /** Descriptions come from the server; make sure none of them can carry the token into a log or the database. */
  private clean(description: string): string {
    return description.split(this.opts.token).join('[token]').slice(0, 300);
  }
}

/** "ECONNREFUSED", "UND_ERR_SOCKET" …: the error's code without its message (which may hold an address). */
function networkCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = cause && typeof cause === 'object' && typeof cause.code === 'string' ? cause.code : undefined;
  return code ?? (err instanceof Error ? err.name : 'unknown');
}
