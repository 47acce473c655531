import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';

/** Constant-time comparison of a received secret with the configured one (lengths leak nothing: both are hashed). */
export function secretMatches(received: string | undefined | null, expected: string): boolean {
  if (received === undefined || received === null) return false;
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export type WebhookBody = { ok: true; json: unknown; raw: Uint8Array } | { ok: false; response: Response };

/**
 * The checks every webhook makes, in this order: secret (401) before reading anything, then size
 * (413, also when Content-Length lies), then JSON (400). The caller handles a valid body.
 */
export async function readWebhook(
  c: Context,
  opts: { secretHeader: string; secret: string | undefined; maxBytes: number },
): Promise<WebhookBody> {
  if (opts.secret !== undefined && !secretMatches(c.req.header(opts.secretHeader), opts.secret)) {
    return { ok: false, response: c.json({ ok: false, error: 'unauthorized' }, 401) };
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    return { ok: false, response: c.json({ ok: false, error: 'payload too large' }, 413) };
  }
  const raw = await readLimited(c.req.raw, opts.maxBytes);
  if (raw === 'too_large') return { ok: false, response: c.json({ ok: false, error: 'payload too large' }, 413) };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { ok: false, response: c.json({ ok: false, error: 'body must be JSON' }, 400) };
  }
  return { ok: true, json, raw };
}

async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array | 'too_large'> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const ch of chunks) {
    out.set(ch, offset);
    offset += ch.byteLength;
  }
  return out;
}
