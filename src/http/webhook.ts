import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Hono } from 'hono';

/**
 * Webhooks are the hot path (every turn of every citizen), so they are written against this small
 * request/reply pair instead of a web framework: the Node server hands them its IncomingMessage
 * directly, and Hono mounts the same handlers for in-process requests (`app.request`). Going
 * through Hono's Request/Response objects cost about a fifth of a turn's CPU in the turns benchmark.
 */
export interface WebhookRequest {
  header(name: string): string | undefined;
  /** The body, or 'too_large' as soon as more than maxBytes arrived (the rest is drained, unread). */
  readBody(maxBytes: number): Promise<Uint8Array | 'too_large'>;
}

/** A value: the Node path builds an answer's bytes once per reply object, so none is changed after. */
export interface WebhookReply {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export type WebhookHandler = (req: WebhookRequest) => Promise<WebhookReply>;

export interface WebhookRoute {
  /** POST only. */
  path: string;
  handle: WebhookHandler;
}

export const reply = (status: number, body: Record<string, unknown>): WebhookReply => ({ status, body });
export const OK: WebhookReply = reply(200, { ok: true });
export const UNAUTHORIZED: WebhookReply = reply(401, { ok: false, error: 'unauthorized' });
export const TOO_LARGE: WebhookReply = reply(413, { ok: false, error: 'payload too large' });
export const NOT_JSON: WebhookReply = reply(400, { ok: false, error: 'body must be JSON' });
export const INTERNAL_ERROR: WebhookReply = reply(500, { ok: false, error: 'internal error' });

const expectedBytes = new Map<string, Buffer>();

/**
 * Constant-time comparison of a received secret with the configured one. Only the length can show
 * (a received secret of another length is refused at once), as with any secret whose length is not
 * itself secret: Telegram's are 1–256 characters. Hashing both first hid the length too, for 3 µs
 * per webhook on the main thread, the thread every answer waits for.
 */
export function secretMatches(received: string | undefined | null, expected: string): boolean {
  if (received === undefined || received === null) return false;
  let b = expectedBytes.get(expected);
  if (!b) {
    b = Buffer.from(expected, 'utf8');
    // A handful of configured secrets at most; the bound only guards against misuse.
    if (expectedBytes.size < 16) expectedBytes.set(expected, b);
  }
  const r = Buffer.from(received, 'utf8');
  return r.length === b.length && timingSafeEqual(r, b);
}

export interface WebhookReadOptions {
  secretHeader: string;
  /** undefined: the caller authenticates otherwise (a signature over the raw body). */
  secret: string | undefined;
  maxBytes: number;
  /** Reads the decoded text (JSON.parse by default); a throw means 400. */
  parse?: (text: string) => unknown;
}

export type WebhookBody = { ok: true; json: unknown; raw: Uint8Array } | { ok: false; reply: WebhookReply };

/**
 * The checks every webhook makes, in this order: secret (401) before reading anything, then size
 * (413, also when Content-Length lies), then JSON (400). The caller handles a valid body.
 */
export async function readWebhookBody(req: WebhookRequest, opts: WebhookReadOptions): Promise<WebhookBody> {
  if (opts.secret !== undefined && !secretMatches(req.header(opts.secretHeader), opts.secret)) return { ok: false, reply: UNAUTHORIZED };
  const declared = Number(req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) return { ok: false, reply: TOO_LARGE };
  const raw = await req.readBody(opts.maxBytes);
  if (raw === 'too_large') return { ok: false, reply: TOO_LARGE };
  let json: unknown;
  try {
    json = (opts.parse ?? JSON.parse)(utf8.decode(raw));
  } catch {
    return { ok: false, reply: NOT_JSON };
  }
  return { ok: true, json, raw };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// --- Node -------------------------------------------------------------------------------------

export function nodeWebhookRequest(incoming: IncomingMessage): WebhookRequest {
  return new NodeWebhookRequest(incoming);
}

/** A class, not an object of closures: tsx names every closure it makes, once per request. */
class NodeWebhookRequest implements WebhookRequest {
  constructor(private readonly incoming: IncomingMessage) {}

  header(name: string): string | undefined {
    const v = this.incoming.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  readBody(maxBytes: number): Promise<Buffer | 'too_large'> {
    return readNodeBody(this.incoming, maxBytes);
  }
}

/**
 * The body, or 'too_large' once it passes maxBytes (the rest is drained unread). Plain stream
 * events rather than `for await`: the async iterator cost every webhook more than the read itself.
 * The listeners are inline and stay attached (a settled promise ignores later events): named
 * closures each cost a call to tsx's name helper, per request.
 */
function readNodeBody(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming
      .on('data', (chunk: Buffer) => {
        if (size > maxBytes) return;
        size += chunk.length;
        if (size <= maxBytes) return void chunks.push(chunk);
        chunks.length = 0;
        incoming.resume();
        resolve('too_large');
      })
      .on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)))
      .on('error', reject)
      // A client that hung up mid-body: no 'end' will come (Node also reports it as an 'error').
      // Every request closes, most long after 'end': an Error, stack and all, made for each of
      // them only to be ignored was a tenth of the main thread's work under load.
      .on('close', () => {
        if (!incoming.complete) reject(new Error('request closed before its body ended'));
      });
  });
}

export interface NodeWebhookOptions {
  /** The headers every answer of the app carries. */
  headers: Readonly<Record<string, string>>;
  onError: (err: unknown) => void;
}

/**
 * Serves webhooks on Node's own request and response, without the web framework in between. An
 * answer's body and headers are built once per reply object: most answers are the same `OK`.
 */
export function nodeWebhookServer(o: NodeWebhookOptions): (route: WebhookRoute, req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const prepared = new WeakMap<WebhookReply, { body: string; headers: Record<string, string | number> }>();
  const prepare = (answer: WebhookReply) => {
    let p = prepared.get(answer);
    if (!p) {
      const body = JSON.stringify(answer.body);
      p = { body, headers: { ...o.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } };
      prepared.set(answer, p);
    }
    return p;
  };
  return async (route, req, res) => {
    let answer: WebhookReply;
    try {
      answer = await route.handle(nodeWebhookRequest(req));
    } catch (err) {
      o.onError(err);
      answer = INTERNAL_ERROR;
    }
    if (res.writableEnded || res.destroyed) return;
    const { body, headers } = prepare(answer);
    res.writeHead(answer.status, headers);
    res.end(body);
  };
}

// --- Hono (in-process requests, other runtimes) ------------------------------------------------

export function fetchWebhookRequest(request: Request): WebhookRequest {
  return {
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: (maxBytes) => readLimited(request, maxBytes),
  };
}

/** Mounts a webhook on the Hono app: the same handler the Node fast path calls. */
export function mountWebhook(app: Hono, route: WebhookRoute): void {
  app.post(route.path, async (c: Context) => {
    const answer = await route.handle(fetchWebhookRequest(c.req.raw));
    return c.json(answer.body, answer.status as 200);
  });
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
