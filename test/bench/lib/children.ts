import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Bench servers run in their own processes, so the load generator, the fake platform API and the
 * server under test do not share an event loop. A child says `{type: 'ready', ...}` over IPC once it
 * listens, answers `{type: 'stats'}` with `{type: 'stats', ...}`, and exits on `{type: 'stop'}`.
 */

export interface BenchChild<Ready = Record<string, unknown>> {
  ready: Ready;
  process: ChildProcess;
  /** `quiesce`: the child first stops its background work (xhht-bot: the outbox sender). */
  stats<T = Record<string, unknown>>(opts?: { quiesce?: boolean }): Promise<T>;
  /** Asks the child to run something (`{type: 'run', ...args}`); resolves with its `{type: 'result'}`. */
  run<T = Record<string, unknown>>(args: Record<string, unknown>): Promise<T>;
  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) the child. A server that waits its turn must not spend the
   * CPU and disk its rivals are measured with (an outbox sender draining its backlog would).
   */
  freeze(frozen: boolean): void;
  stop(): Promise<void>;
}

export function scriptPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

export async function startChild<Ready = Record<string, unknown>>(
  relative: string,
  env: Record<string, string>,
  opts: { exposeGc?: boolean; timeoutMs?: number } = {},
): Promise<BenchChild<Ready>> {
  const execArgv = ['--import', 'tsx', ...(opts.exposeGc ? ['--expose-gc'] : [])];
  // XHHT_BENCH_PROFILE=DIR writes a CPU profile of every bench child there (for finding hot spots).
  if (process.env.XHHT_BENCH_PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.XHHT_BENCH_PROFILE}`);
  const child = fork(scriptPath(relative), [], {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${relative} did not start in time: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('message', function onMessage(m: { type?: string }) {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as Ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${relative} exited with ${code} before it was ready: ${stderr}`));
    });
  });
  const ask = <T>(request: Record<string, unknown>, answer: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${relative} did not answer ${String(request.type)}`)), timeoutMs);
      child.on('message', function onMessage(m: { type?: string }) {
        if (m?.type !== answer) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      });
      child.send(request);
    });
  return {
    ready,
    process: child,
    stats: <T>(opts: { quiesce?: boolean } = {}) => ask<T>({ type: 'stats', ...opts }, 'stats', 60_000),
    run: <T>(args: Record<string, unknown>) => ask<T>({ ...args, type: 'run' }, 'result', 600_000),
    freeze(frozen) {
      if (child.exitCode === null && child.signalCode === null) child.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Reply = Record<string, unknown> | Promise<Record<string, unknown>>;

/** For children: reply to the parent's stats, run and stop requests. */
export function serveParent(handlers: {
  stats: (args: Record<string, unknown>) => Reply;
  run?: (args: Record<string, unknown>) => Reply;
  stop: () => Promise<void>;
}): void {
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') {
      void Promise.resolve(handlers.stats(m)).then((s) => process.send?.({ type: 'stats', ...s }));
    } else if (m?.type === 'run' && handlers.run) {
      void Promise.resolve(handlers.run(m)).then((r) => process.send?.({ type: 'result', ...r }));
    } else if (m?.type === 'stop') {
      void handlers.stop().finally(() => process.exit(0));
    }
  });
  // The parent died: do not linger.
  process.on('disconnect', () => void handlers.stop().finally(() => process.exit(0)));
}

/** RSS and V8 heap in use after a forced GC (the child must run with --expose-gc). */
export function memoryAfterGc(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}
