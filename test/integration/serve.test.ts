import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.ts';
import { ROOT } from '../helpers/flows.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', ...env } });
    children.push(child);
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      const m = /running: (http:\/\/[^/\s]+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => stderr });
      }
    });
    child.on('exit', () => reject(new Error(`server exited early: ${stderr}`)));
  });
}

describe('xhht serve', () => {
  it('serves /healthz with embedded defaults and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhht-serve-'));
    const { child, url } = await startServer({ DB_PATH: join(dir, 'x.sqlite') });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', db: { ok: true, writable: true } });
    expect(body.flows).toContain('cong-dan-hoc-tap@2026.1');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a bad variable is a clear error naming it, without a stack trace', async () => {
    const run = await runCli(['serve'], '', { PORT: 'http' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT:');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to start on an invalid flow, listing the problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x-'));
    const flowText = readFileSync(join(ROOT, 'flows/cong-dan-hoc-tap.yaml'), 'utf8').replace('indicator: CS3', 'indicator: CS33');
    writeFileSync(join(dir, 'broken.yaml'), flowText);
    const run = await runCli(['serve'], '', { FLOWS_DIR: dir, DB_PATH: join(dir, 'x.sqlite') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Refusing to start');
    expect(run.stderr).toContain('names unknown indicator "CS33"');
  });
});
