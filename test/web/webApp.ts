import type { Hono } from 'hono';
import { createConversationService } from '../../src/app.ts';
import type { Input } from '../../src/engine/types.ts';
import type { Flow } from '../../src/flow/schema.ts';
import { createHttpApp } from '../../src/http/app.ts';
import { silentLogger } from '../../src/log.ts';
import { AdminStore, type AdminRole } from '../../src/store/adminStore.ts';
import { Store } from '../../src/store/store.ts';
import { hashPassword } from '../../src/web/admin/password.ts';
import type { DeadlineInfo, ExportResponses, WebDeps } from '../../src/web/deps.ts';
import { registerWebRoutes, secretariatInterceptor } from '../../src/web/index.ts';
import { loadFlow } from '../helpers/flows.ts';

/** An in-process server with the web routes, a fixed clock, and a tiny cookie-keeping client. */

export const T0 = new Date('2026-11-20T03:00:00Z');
export const PASSWORD = 'mật-khẩu-thử-đủ-dài';

export interface WebTestApp {
  app: Hono;
  store: Store;
  flows: Flow[];
  clock: { now: Date };
  deps: WebDeps;
  send: (userKey: string, input: Input | string, channel?: string) => void;
}

let seq = 0;

export function makeWebApp(
  opts: { exportResponses?: ExportResponses; deadlines?: DeadlineInfo; publicUrl?: string; chatRate?: WebDeps['chatRate'] } = {},
): WebTestApp {
  const store = new Store(':memory:');
  const flows = [loadFlow('flows/cong-dan-hoc-tap.yaml'), loadFlow('test/fixtures/web/unit-web.yaml')];
  const service = createConversationService(store, flows, [secretariatInterceptor]);
  const clock = { now: new Date(T0) };
  const app = createHttpApp({ logger: silentLogger, health: () => ({ status: 'ok' }) });
  const deps: WebDeps = {
    store,
    service,
    flows,
    logger: silentLogger,
    publicUrl: opts.publicUrl,
    exportResponses: opts.exportResponses,
    deadlines: opts.deadlines,
    chatRate: opts.chatRate,
    now: () => clock.now,
  };
  registerWebRoutes(app, deps);
  const send = (userKey: string, input: Input | string, channel = 'telegram') => {
    service.handle({
      channel,
      eventId: `t${++seq}`,
      userKey,
      chatId: userKey,
      input: typeof input === 'string' ? { kind: 'text', text: input } : input,
      receivedAt: clock.now,
    });
  };
  return { app, store, flows, clock, deps, send };
}

/** scrypt is slow on purpose: the tests hash each password once. */
const hashes = new Map<string, Promise<string>>();

export async function addAccount(store: Store, a: { email: string; role?: AdminRole; commune?: string; password?: string }): Promise<void> {
  const password = a.password ?? PASSWORD;
  if (!hashes.has(password)) hashes.set(password, hashPassword(password));
  new AdminStore(store.db).addAccount({
    email: a.email,
    passwordHash: await hashes.get(password)!,
    role: a.role ?? 'province',
    communeCode: a.commune ?? null,
    now: T0.toISOString(),
  });
}

/** Two communes; a school and an agency in the first, a school in the second. */
export function seedUnits(store: Store): void {
  for (const [code, name] of [
    ['MAU-01', 'Phường Trung Tâm'],
    ['MAU-02', 'Xã Phú Thạnh'],
  ] as const) {
    store.units.upsertAdminUnit({ code, name, level: 'commune', parentCode: null, effectiveFrom: '2025-07-01', effectiveTo: null, legacyDistrict: null });
  }
  const now = T0.toISOString();
  store.units.upsertUnit({ id: 'SCH-A', name: 'Trường THCS An Bình', type: 'school', tier: 'commune', communeCode: 'MAU-01', active: true }, now);
  store.units.upsertUnit({ id: 'AG-C', name: 'Phòng Văn hóa <Trung Tâm>', type: 'agency', tier: 'commune', communeCode: 'MAU-01', active: true }, now);
  store.units.upsertUnit({ id: 'SCH-B', name: 'Trường Tiểu học Phú Thạnh', type: 'school', tier: 'commune', communeCode: 'MAU-02', active: true }, now);
}

/** A focal point of the unit on the given channel, who has agreed to the data notice. */
export function addFocalPoint(t: WebTestApp, unitId: string, userKey: string, channel = 'telegram'): number {
  t.send(userKey, 'xin chào', channel);
  t.send(userKey, { kind: 'choice', choiceId: 'agree', scope: 'consent' }, channel);
  // Agreeing starts the citizen self-check (the only flow a citizen has): leave it first.
  t.send(userKey, 'hủy', channel);
  const person = t.store.findPerson(channel, userKey)!;
  t.store.units.joinUnit(person.id, unitId, t.clock.now.toISOString());
  return person.id;
}

/** Walks the focal point through the unit flow and submits; returns the submitted response id. */
export function submitUnitFlow(t: WebTestApp, userKey: string, counts: { members: number; trained: number } = { members: 20, trained: 19 }, channel = 'telegram'): number {
  t.send(userKey, { kind: 'choice', choiceId: 'unit-web', scope: 'menu' }, channel);
  t.send(userKey, 'có', channel);
  t.send(userKey, 'có', channel);
  t.send(userKey, String(counts.members), channel);
  t.send(userKey, String(counts.trained), channel);
  t.send(userKey, { kind: 'choice', choiceId: 'submit', scope: 'confirm' }, channel);
  const person = t.store.findPerson(channel, userKey)!;
  const submitted = t.store.responsesOf(person.id).filter((r) => r.status === 'submitted' && r.flow_id === 'unit-web');
  if (submitted.length === 0) throw new Error('the unit flow was not submitted');
  return submitted.at(-1)!.id;
}

/** A client keeping cookies between in-process requests, with an optional client address. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: Hono,
    private readonly address = '127.0.0.1',
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await this.app.request(path, { ...init, headers }, { incoming: { socket: { remoteAddress: this.address } } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  post(path: string, form: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Signs in through the login form; returns the final response of the POST. */
  async login(email: string, password = PASSWORD): Promise<Response> {
    const page = await this.get('/admin/login');
    const csrf = csrfOf(await page.text());
    return this.post('/admin/login', { email, password, csrf, next: '/admin/roster' });
  }

  /** The CSRF token of a dashboard page (every page has the sign-out form). */
  async csrf(path = '/admin/roster'): Promise<string> {
    return csrfOf(await (await this.get(path)).text());
  }
}

export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}
