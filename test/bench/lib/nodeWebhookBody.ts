import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { readWebhook, secretMatches, type WebhookBody } from '../../../src/http/webhook.ts';

/**
 * The webhook body read straight from Node's IncomingMessage (@hono/node-server passes it as
 * `c.env.incoming`) instead of through `c.req.raw.body`, which makes the adapter build a fetch
 * Request around a web ReadableStream for every call. Same checks in the same order as
 * readWebhook — secret (401), size (413, also when Content-Length lies), UTF-8 JSON (400) — and the
 * same function when there is no Node request (app.request in tests). Measured in the turns
 * benchmark as a proposal for src/http/webhook.ts.
 */
export async function readWebhookFromNode(c: Context, opts: { secretHeader: string; secret: string | undefined; maxBytes: number }): Promise<WebhookBody> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return readWebhook(c, opts);
  if (opts.secret !== undefined && !secretMatches(incoming.headers[opts.secretHeader.toLowerCase()] as string | undefined, opts.secret)) {
    return { ok: false, response: c.json({ ok: false, error: 'unauthorized' }, 401) };
  }
  const declared = Number(incoming.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) return { ok: false, response: c.json({ ok: false, error: 'payload too large' }, 413) };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > opts.maxBytes) {
      incoming.resume();
      return { ok: false, response: c.json({ ok: false, error: 'payload too large' }, 413) };
    }
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks, size);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { ok: false, response: c.json({ ok: false, error: 'body must be JSON' }, 400) };
  }
  return { ok: true, json, raw };
}
