import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { BIN } from '../../helpers/cli.ts';
import { ROOT } from '../../helpers/flows.ts';
import { messengerEnv } from './values.ts';

/**
 * `node bin/xhht.js serve` as a child process — the real entry point, as an operator runs it — with
 * its stderr (the JSON logs and the "running" line) appended to a log file for the log scan.
 */

export interface ServeEnv {
  dbPath: string;
  telegramApiRoot: string;
  zaloApiRoot: string;
  logFile: string;
  extra?: Record<string, string>;
}

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function serveEnv(o: ServeEnv): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DB_PATH: o.dbPath,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    ...messengerEnv(o),
    ...o.extra,
  };
}

/** Starts the server and resolves once it printed its address (rejects if it exits or takes > 60 s). */
export function startServe(o: ServeEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: serveEnv(o), stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s: ${seen.slice(-2000)}`));
    }, 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      appendFileSync(o.logFile, text);
      if (seen.length < 100_000) seen += text;
      const m = /running: (http:\/\/[^/\s]+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1]!, exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready: ${seen.slice(-2000)}`));
    });
  });
}

/** The channels the running server reports in /healthz. */
export async function channelsOf(base: string): Promise<string[]> {
  const res = await fetch(`${base}/healthz`);
  const body = (await res.json()) as { channels?: Record<string, unknown> };
  return Object.keys(body.channels ?? {});
}
