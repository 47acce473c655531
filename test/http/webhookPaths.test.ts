import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.ts';
import { startHttpServer } from '../../src/http/server.ts';
import { NOT_JSON, OK, readWebhookBody, reply, secretMatches, type WebhookRoute } from '../../src/http/webhook.ts';
import { silentLogger } from '../../src/log.ts';
import { FUZZ_MAX_BODY_BYTES, fuzzCase } from '../faults/support/fuzzCases.ts';

/**
 * A webhook is served two ways: on Node's request directly (the server's fast path) and through
 * Hono (`app.request`, in-process). Both must answer the same status, body and headers for the same
 * request, and the fast path must keep the server serving whatever a handler does.
 */

const SECRET = 'webhook-paths-secret_123';
const echo: WebhookRoute = {
  path: '/hook',
  handle: async (req) => {
    const body = await readWebhookBody(req, { secretHeader: 'x-secret', secret: SECRET, maxBytes: FUZZ_MAX_BODY_BYTES });
    if (!body.ok) return body.reply;
    // Not the JSON itself: deeply nested bodies cannot be stringified back.
    return reply(200, { ok: true, bytes: body.raw.length, type: Array.isArray(body.json) ? 'array' : typeof body.json });
  },
};
const broken: WebhookRoute = {
  path: '/broken',
  handle: async () => {
    throw new Error('handler bug with a secret-ish message');
  },
};

/** Answers with the shared reply objects, as the channels do: OK, or NOT_JSON for an odd length. */
const shared: WebhookRoute = {
  path: '/shared',
  handle: async (req) => {
    const body = await req.readBody(1024);
    return body !== 'too_large' && body.length % 2 === 1 ? NOT_JSON : OK;
  },
};

/** What /record's handler saw of each body: read whole, or given up on (the client hung up). */
const recorded: string[] = [];
const record: WebhookRoute = {
  path: '/record',
  handle: async (req) => {
    try {
      const body = await req.readBody(1024);
      recorded.push(body === 'too_large' ? 'too large' : `read ${body.length} bytes`);
    } catch {
      recorded.push('gave up');
    }
    return reply(200, { ok: true });
  },
};

const app = createHttpApp({ logger: silentLogger, health: () => ({ status: 'ok' }) });
let server: Server;
let base = '';

beforeAll(async () => {
  server = await startHttpServer({ app, webhooks: [echo, broken, record, shared], port: 0, host: '127.0.0.1', logger: silentLogger });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const VARYING = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
const headersOf = (res: Response) =>
  Object.fromEntries(
    [...res.headers.entries()].filter(([k]) => !VARYING.has(k)).map(([k, v]) => [k, k === 'content-type' ? v.split(';')[0]!.trim() : v]),
  );

async function both(path: string, body: string | Uint8Array, secret: string | undefined) {
  const init = (): RequestInit => ({ method: 'POST', headers: secret === undefined ? {} : { 'x-secret': secret }, body });
  const fast = await fetch(`${base}${path}`, init());
  const viaHono = await app.request(path, init());
  return {
    fast: { status: fast.status, body: await fast.text(), headers: headersOf(fast) },
    hono: { status: viaHono.status, body: await viaHono.text(), headers: headersOf(viaHono) },
  };
}

describe('webhooks on the Node fast path and through Hono', () => {
  it('answer alike for generated bodies, secrets and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const secret = c.secret === 'ok' ? SECRET : c.secret === 'missing' ? undefined : c.secret.wrong;
        const r = await both('/hook', c.body, secret);
        expect(r.fast).toEqual(r.hono);
        expect([200, 400, 401, 413]).toContain(r.fast.status);
      }),
      { numRuns: 300 },
    );
  });

  it('carry the security headers every other answer carries', async () => {
    const r = await both('/hook', '{"a":1}', SECRET);
    expect(r.fast.status).toBe(200);
    const health = headersOf(await fetch(`${base}/healthz`));
    for (const [k, v] of Object.entries(health)) expect(r.fast.headers[k], k).toBe(v);
    expect(r.fast.headers['x-frame-options']).toBe('DENY');
  });

  it('refuse a body over the limit even when Content-Length does not say so', async () => {
    const big = JSON.stringify({ update_id: 1, pad: 'x'.repeat(FUZZ_MAX_BODY_BYTES) });
    const stream = () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
    const res = await fetch(`${base}/hook`, { method: 'POST', headers: { 'x-secret': SECRET }, body: stream(), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answer 500 without the error text when a handler throws, and the server keeps serving', async () => {
    const r = await both('/broken', '{}', SECRET);
    expect(r.fast.status).toBe(500);
    expect(r.fast.body).not.toContain('secret-ish');
    expect((await fetch(`${base}/hook`, { method: 'POST', headers: { 'x-secret': SECRET }, body: '{}' })).status).toBe(200);
  });

  it('give up on a body whose client hung up half-way, and read whole the bodies that arrive', async () => {
    recorded.length = 0;
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.write('POST /record HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"update_id":');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    await expect.poll(() => recorded).toEqual(['gave up']);
    expect((await fetch(`${base}/record`, { method: 'POST', body: '{"update_id":1}' })).status).toBe(200);
    expect((await fetch(`${base}/record`, { method: 'POST', body: 'x'.repeat(900) })).status).toBe(200);
    expect(recorded).toEqual(['gave up', 'read 15 bytes', 'read 900 bytes']);
  });

  it('answer the shared replies whole every time, each with its own status, body and length', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${base}/shared`, { method: 'POST', body: 'x'.repeat(i) });
      const text = await res.text();
      expect(res.status).toBe(i % 2 === 1 ? 400 : 200);
      expect(JSON.parse(text)).toEqual(i % 2 === 1 ? NOT_JSON.body : OK.body);
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('match the path without its query string, and leave other methods to the app', async () => {
    expect((await fetch(`${base}/hook?x=1`, { method: 'POST', headers: { 'x-secret': SECRET }, body: '[]' })).status).toBe(200);
    expect((await fetch(`${base}/hook`)).status).toBe(404);
  });
});

describe('secretMatches', () => {
  it('accepts the configured secret only, whatever its length or characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ maxLength: 64 }), (expected, other) => {
        expect(secretMatches(expected, expected)).toBe(true);
        expect(secretMatches(other, expected)).toBe(other === expected);
        expect(secretMatches(`${expected}x`, expected)).toBe(false);
        expect(secretMatches(expected.slice(0, -1), expected)).toBe(false);
      }),
    );
    expect(secretMatches('bí-mật', 'bí-mật')).toBe(true);
    // Same number of UTF-16 units, another number of bytes.
    expect(secretMatches('bi-mat', 'bí-mật')).toBe(false);
    expect(secretMatches(undefined, SECRET)).toBe(false);
    expect(secretMatches(null, SECRET)).toBe(false);
    expect(secretMatches('', SECRET)).toBe(false);
  });
});
