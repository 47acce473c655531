import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting proxy on 127.0.0.1 in front of a fake platform API. For the methods it is told
 * to disturb, a seeded share of calls never reaches the fake and is answered instead with a 429
 * (Telegram: retry_after; Zalo: "Quota exceeded"), a 500, or nothing at all until the client gives
 * up (a timeout). Everything else is forwarded untouched. Because a disturbed call never reaches the
 * fake, the fake's record shows exactly what was delivered.
 */

export type Fault = 'rateLimited' | 'serverError' | 'timeout';

export interface FaultProxyOptions {
  target: string;
  platform: 'telegram' | 'zalo';
  /** Share of disturbed calls, 0..1. */
  rate: number;
  /** Bot API methods that may be disturbed (the last path segment). */
  methods: string[];
  seed: number;
  retryAfterSeconds?: number;
}

export class FaultProxy {
  /**
   * `abandoned`: forwarded calls whose client hung up before the answer reached it (its own timeout
   * on a slow machine). The fake did get those, so the client's retry may deliver them twice.
   */
  readonly counts: Record<Fault | 'forwarded' | 'abandoned', number> = { forwarded: 0, abandoned: 0, rateLimited: 0, serverError: 0, timeout: 0 };
  private readonly hanging = new Set<ServerResponse>();
  private readonly random: () => number;

  private constructor(
    private readonly server: Server,
    private readonly opts: FaultProxyOptions,
  ) {
    this.random = mulberry32(opts.seed);
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => proxy!.handle(req.method ?? 'POST', req.url ?? '/', req.headers as Record<string, string>, Buffer.concat(chunks), res));
    });
    proxy = new FaultProxy(server, opts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get disturbed(): number {
    return this.counts.rateLimited + this.counts.serverError + this.counts.timeout;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, url: string, headers: Record<string, string>, body: Buffer, res: ServerResponse): void {
    const apiMethod = url.split('?')[0]!.split('/').pop() ?? '';
    const fault = this.opts.methods.includes(apiMethod) ? this.pick() : undefined;
    if (!fault) return this.forward(method, url, headers, body, res);
    this.counts[fault]++;
    if (fault === 'timeout') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const retryAfter = this.opts.retryAfterSeconds ?? 1;
    const answer =
      fault === 'serverError'
        ? { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
        : this.opts.platform === 'telegram'
          ? {
              status: 429,
              body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
            }
          : { status: 429, body: { ok: false, error_code: 429, description: 'Quota exceeded' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private pick(): Fault | undefined {
    if (this.random() >= this.opts.rate) return undefined;
    const r = this.random();
    return r < 1 / 3 ? 'rateLimited' : r < 2 / 3 ? 'serverError' : 'timeout';
  }

  private forward(method: string, url: string, headers: Record<string, string>, body: Buffer, res: ServerResponse): void {
    this.counts.forwarded++;
    res.on('close', () => {
      if (!res.writableFinished) this.counts.abandoned++;
    });
    const target = new URL(url, this.opts.target);
    const upstream = request(target, { method, headers: { ...headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstream.end(body);
  }
}

/** A small seeded PRNG, so a failing run can be replayed with the seed it prints. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
