import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './flows.ts';

export const BIN = join(ROOT, 'bin/xhht.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

/** Runs `xhht ARGS` with the given stdin, waits for it to exit (bounded), parses JSON lines of stdout. */
export function runCli(args: string[], stdin: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`xhht ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr, lines });
    });
    child.stdin.end(stdin);
  });
}

export const jsonl = (...items: Array<Record<string, string>>) => items.map((i) => JSON.stringify(i)).join('\n') + '\n';
