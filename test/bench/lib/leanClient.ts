import { connect, type Socket } from 'node:net';

/**
 * A closed-loop HTTP/1.1 load client on raw keep-alive sockets: each connection sends one request,
 * waits for its whole answer, then sends the next. It exists because the load client shares this
 * 2-core machine with the server it measures: autocannon spent ~150 µs of CPU per request here
 * (about a quarter of both cores at full load), and every microsecond it spends is taken from the
 * contender under test. This one writes each request in one write and reads only what it must (the
 * status, Content-Length or chunked framing). Every contender is driven by the same client.
 */

export interface LeanRequest<C> {
  body: string;
  context: C;
}

export interface LeanLoadOptions<C> {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  connections: number;
  /** Stop after this many requests (all answered), or after `seconds`. */
  amount?: number;
  seconds?: number;
  timeoutMs: number;
  next(): LeanRequest<C>;
  onAnswer(status: number, context: C): void;
}

export interface LeanLoadResult {
  /** Milliseconds from writing each request to reading the end of its answer. */
  latenciesMs: Float64Array;
  /** Answers by status class. */
  ok: number;
  non2xx: number;
  /** Requests that got no answer (connection lost or timed out). */
  errors: number;
  /** From the first request to the last answer. */
  seconds: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

export async function leanLoad<C>(o: LeanLoadOptions<C>): Promise<LeanLoadResult> {
  const head = `POST ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nConnection: keep-alive\r\n${Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: `;
  const started = performance.now();
  const deadline = o.seconds !== undefined ? started + o.seconds * 1000 : Infinity;
  let issued = 0;
  let lastAnswer = started;
  let latencies = new Float64Array(Math.max(1024, o.amount ?? 0));
  let answered = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const more = () => (o.amount === undefined || issued < o.amount) && performance.now() < deadline;
  const record = (ms: number) => {
    if (answered === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[answered++] = ms;
  };

  const runConnection = () =>
    new Promise<void>((resolve) => {
      let socket: Socket;
      let buffer: Buffer = Buffer.alloc(0);
      let inFlight: { context: C; sentAt: number } | undefined;
      // One watchdog per connection, not a timer per request (a timer each cost the client more
      // than reading the answer).
      const watchdog = setInterval(() => {
        if (inFlight && performance.now() - inFlight.sentAt > o.timeoutMs) socket.destroy();
      }, Math.max(10, Math.min(1000, o.timeoutMs / 4)));
      let connected = false;
      let failedConnects = 0;

      const open = () => {
        socket = connect({ host: o.host, port: o.port, noDelay: true });
        buffer = Buffer.alloc(0);
        socket.on('data', onData);
        socket.on('error', () => undefined);
        socket.on('close', onClose);
        socket.on('connect', () => {
          connected = true;
          failedConnects = 0;
          sendNext();
        });
      };
      const done = () => {
        clearInterval(watchdog);
        resolve();
      };
      const finish = () => {
        socket.off('close', onClose);
        socket.destroy();
        done();
      };
      const sendNext = () => {
        if (!more()) return finish();
        issued++;
        const request = o.next();
        inFlight = { context: request.context, sentAt: performance.now() };
        socket.write(`${head}${Buffer.byteLength(request.body)}\r\n\r\n${request.body}`);
      };
      const onClose = () => {
        if (inFlight) {
          // No answer: the request may or may not have been handled; the pool sends the turn again.
          errors++;
          o.onAnswer(0, inFlight.context);
          inFlight = undefined;
        }
        // A server that refuses connections ends the run instead of spinning on reconnects.
        if (!connected && ++failedConnects >= 20) return done();
        connected = false;
        if (more()) open();
        else done();
      };
      const onData = (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = answerEnd(buffer);
          if (end === undefined) return;
          const status = Number(buffer.toString('latin1', 9, 12));
          buffer = buffer.subarray(end);
          const now = performance.now();
          lastAnswer = now;
          const req = inFlight;
          inFlight = undefined;
          if (!req) continue;
          record(now - req.sentAt);
          if (status >= 200 && status < 300) ok++;
          else non2xx++;
          o.onAnswer(status, req.context);
          sendNext();
        }
      };
      open();
    });

  await Promise.all(Array.from({ length: o.connections }, runConnection));
  return { latenciesMs: latencies.slice(0, answered), ok, non2xx, errors, seconds: (lastAnswer - started) / 1000 };
}

/** Where the first complete HTTP answer in `b` ends, or undefined when it has not all arrived. */
function answerEnd(b: Buffer): number | undefined {
  const headEnd = b.indexOf(CRLF2);
  if (headEnd < 0) return undefined;
  const head = b.toString('latin1', 0, headEnd);
  const bodyStart = headEnd + 4;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = bodyStart + Number(length[1]);
    return b.length >= end ? end : undefined;
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
    let at = bodyStart;
    for (;;) {
      const lineEnd = b.indexOf('\r\n', at, 'latin1');
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(b.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size)) throw new Error('malformed chunked answer');
      if (size === 0) {
        // No trailers from the servers measured here: the last chunk is followed by an empty line.
        const end = lineEnd + 4;
        return b.length >= end ? end : undefined;
      }
      at = lineEnd + 2 + size + 2;
      if (b.length < at) return undefined;
    }
  }
  // Neither: an answer without a body (204, 304) ends with its head.
  return bodyStart;
}
