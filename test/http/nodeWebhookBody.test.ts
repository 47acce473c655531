import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import fc from 'fast-check';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWebhook as readWebhookFromNode, readWebhookFromRequest as readWebhook } from '../../src/http/webhook.ts';
import { FUZZ_MAX_BODY_BYTES, fuzzCase } from '../faults/support/fuzzCases.ts';

/**
 * The proposed body reader (Node request stream instead of a web stream) must answer exactly as
 * readWebhook does: same statuses and the same body read, for the same requests, over a real socket.
 */

const SECRET = 'node-body-secret_123';
let server: ServerType;
let base = '';

beforeAll(async () => {
  const app = new Hono();
  for (const [path, read] of [
    ['/web', readWebhook],
    ['/node', readWebhookFromNode],
  ] as const) {
    app.post(path, async (c) => {
      const body = await read(c, { secretHeader: 'x-secret', secret: SECRET, maxBytes: FUZZ_MAX_BODY_BYTES });
      // Not the JSON itself: deeply nested bodies cannot be stringified back.
      return body.ok ? c.json({ ok: true, bytes: body.raw.length, type: Array.isArray(body.json) ? 'array' : typeof body.json }) : body.response;
    });
  }
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function ask(path: string, body: string | Uint8Array, secret: string | undefined): Promise<string> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: secret === undefined ? {} : { 'x-secret': secret }, body });
  return `${res.status} ${await res.text()}`;
}

describe('reading the webhook body from the Node request', () => {
  it('answers like readWebhook for generated bodies, secrets and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const secret = c.secret === 'ok' ? SECRET : c.secret === 'missing' ? undefined : c.secret.wrong;
        expect(await ask('/node', c.body, secret)).toBe(await ask('/web', c.body, secret));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a body over the limit even when Content-Length does not say so', async () => {
    const big = JSON.stringify({ update_id: 1, pad: 'x'.repeat(FUZZ_MAX_BODY_BYTES) });
    // A stream body is sent chunked, without Content-Length.
    const stream = () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
    const res = await fetch(`${base}/node`, { method: 'POST', headers: { 'x-secret': SECRET }, body: stream(), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });
});
