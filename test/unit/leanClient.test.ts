import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { leanLoad } from '../bench/lib/leanClient.ts';

/** The bench's load client reads each answer whole, whatever its framing, and counts what it got. */

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('the bench load client', () => {
  it('sends each body once over keep-alive connections and reads Content-Length, chunked and empty answers', async () => {
    const bodies: string[] = [];
    let connections = 0;
    const port = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        const n = Number(JSON.parse(body).n);
        if (n % 3 === 0) {
          // Chunked, in two writes, with a body that contains an empty-chunk look-alike.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('0\r\n\r\n');
          setTimeout(() => res.end('tiếp'), 2);
        } else if (n % 3 === 1) {
          res.writeHead(204);
          res.end();
        } else {
          const text = JSON.stringify({ ok: n % 2 === 0 });
          res.writeHead(n % 2 === 0 ? 200 : 500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        }
      });
    });
    server!.on('connection', () => connections++);
    let next = 0;
    const answers: Array<[number, number]> = [];
    const r = await leanLoad<number>({
      host: '127.0.0.1',
      port,
      path: '/hook',
      headers: { 'Content-Type': 'application/json' },
      connections: 4,
      amount: 60,
      timeoutMs: 5000,
      next: () => {
        const n = next++;
        return { body: JSON.stringify({ n, text: 'Phường Ngọc Hà' }), context: n };
      },
      onAnswer: (status, n) => void answers.push([n, status]),
    });
    expect(bodies).toHaveLength(60);
    expect(new Set(bodies.map((b) => JSON.parse(b).n)).size).toBe(60);
    expect(connections).toBe(4);
    const expected = (n: number) => (n % 3 === 0 ? 200 : n % 3 === 1 ? 204 : n % 2 === 0 ? 200 : 500);
    expect(answers.sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 60 }, (_, n) => [n, expected(n)]));
    const failures = answers.filter(([, s]) => s === 500).length;
    expect(r.non2xx).toBe(failures);
    expect(r.ok).toBe(60 - failures);
    expect(r.errors).toBe(0);
    expect(r.latenciesMs).toHaveLength(60);
    expect(Math.min(...r.latenciesMs)).toBeGreaterThan(0);
  });

  it('counts a request that never gets an answer as an error and goes on on a new connection', async () => {
    let seen = 0;
    const port = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        // The second request is never answered.
        if (++seen !== 2) res.end('ok');
      });
    });
    const statuses: number[] = [];
    const r = await leanLoad<null>({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {},
      connections: 1,
      amount: 4,
      timeoutMs: 300,
      next: () => ({ body: '{}', context: null }),
      onAnswer: (status) => void statuses.push(status),
    });
    expect(statuses).toEqual([200, 0, 200, 200]);
    expect(r).toMatchObject({ ok: 3, errors: 1, non2xx: 0 });
    server!.closeAllConnections();
  });

  it('gives up on a port nobody listens on instead of spinning', async () => {
    const port = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const r = await leanLoad<null>({ host: '127.0.0.1', port, path: '/', headers: {}, connections: 2, amount: 10, timeoutMs: 300, next: () => ({ body: '', context: null }), onAnswer: () => undefined });
    expect(r.ok + r.non2xx).toBe(0);
  });
});
