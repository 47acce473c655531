import { z } from 'zod';
import { ZaloOaError } from './errors.ts';
import { fetchText } from './http.ts';
import { parseJsonKeepingLargeIntegers } from './json.ts';
import type { OaMessage } from './render.ts';

/**
 * A small client for the OA Open API v3 over fetch: JSON bodies, the token in an `access_token`
 * header (not Bearer), and every answer checked against `{error, message, data}` where `error === 0`
 * is success and negative codes are Zalo's errors. A -216 (token invalid or expired) is answered by
 * one refresh and one retry; the token source makes sure concurrent callers share that refresh.
 */

export interface OaTokenSource {
  accessToken(): Promise<string>;
  renewAfterRejection(rejected: string): Promise<string>;
}

const envelopeSchema = z.looseObject({
  error: z.coerce.number().int(),
  message: z.string().optional(),
  data: z.unknown().optional(),
});

const sentSchema = z
  .looseObject({ message_id: z.union([z.string(), z.number()]).transform(String).optional(), msg_id: z.union([z.string(), z.number()]).transform(String).optional() })
  .optional()
  .catch(undefined)
  .transform((d) => ({ messageId: d?.message_id ?? d?.msg_id }));

export interface ZnsSend {
  /** The OA-scoped user id; ZNS "by UID" (see README: the request shape is unverified). */
  userId: string;
  templateId: string;
  templateData: Record<string, string>;
  trackingId: string;
  development: boolean;
}

export interface ZaloOaClientOptions {
  apiRoot: string;
  znsRoot: string;
  tokens: OaTokenSource;
  requestTimeoutMs?: number;
}

export class ZaloOaClient {
  constructor(private readonly opts: ZaloOaClientOptions) {}

  /** "Tin tư vấn": allowed inside the messaging window only (else -230). */
  sendConsultation(userId: string, message: OaMessage, signal?: AbortSignal): Promise<{ messageId: string | undefined }> {
    return this.send('message/cs', `${root(this.opts.apiRoot)}/v3.0/oa/message/cs`, { recipient: { user_id: userId }, message }, signal);
  }

  /** "Tin giao dịch": a transaction template (`message.attachment.payload.template_type` = transaction_*). */
  sendTransaction(userId: string, message: Record<string, unknown>, signal?: AbortSignal): Promise<{ messageId: string | undefined }> {
    return this.send('message/transaction', `${root(this.opts.apiRoot)}/v3.0/oa/message/transaction`, { recipient: { user_id: userId }, message }, signal);
  }

  /** An approved ZNS template, on its own API root. */
  sendZns(z: ZnsSend, signal?: AbortSignal): Promise<{ messageId: string | undefined }> {
    const body = {
      user_id: z.userId,
      template_id: z.templateId,
      template_data: z.templateData,
      tracking_id: z.trackingId,
      ...(z.development ? { mode: 'development' } : {}),
    };
    return this.send('message/template', `${root(this.opts.znsRoot)}/message/template`, body, signal);
  }

  private async send(endpoint: string, url: string, body: unknown, signal?: AbortSignal): Promise<{ messageId: string | undefined }> {
    const json = JSON.stringify(body);
    const token = await this.opts.tokens.accessToken();
    let data: unknown;
    try {
      data = await this.post(endpoint, url, json, token, signal);
    } catch (err) {
      if (!(err instanceof ZaloOaError) || !err.isTokenInvalid) throw err;
      const renewed = await this.opts.tokens.renewAfterRejection(token);
      data = await this.post(endpoint, url, json, renewed, signal);
    }
    return sentSchema.parse(data);
  }

  private async post(endpoint: string, url: string, body: string, token: string, signal?: AbortSignal): Promise<unknown> {
    const { status, text } = await fetchText(endpoint, url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', access_token: token },
      body,
      timeoutMs: this.opts.requestTimeoutMs ?? 15_000,
      signal,
    });
    let json: unknown;
    try {
      json = parseJsonKeepingLargeIntegers(text);
    } catch {
      throw new ZaloOaError(endpoint, isOk(status) ? 'invalid_response' : 'http', undefined, `HTTP ${status}, not JSON`, status);
    }
    const env = envelopeSchema.safeParse(json);
    if (!env.success) {
      throw new ZaloOaError(endpoint, isOk(status) ? 'invalid_response' : 'http', undefined, `HTTP ${status}, not an OA answer`, status);
    }
    if (env.data.error !== 0) {
      const description = (env.data.message ?? 'error').split(token).join('[token]').slice(0, 200);
      throw new ZaloOaError(endpoint, 'api', env.data.error, description, status);
    }
    if (!isOk(status)) throw new ZaloOaError(endpoint, 'http', undefined, `HTTP ${status}`, status);
    return env.data.data;
  }
}

const root = (r: string) => r.replace(/\/+$/, '');
const isOk = (status: number) => status >= 200 && status < 300;
