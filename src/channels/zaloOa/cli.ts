import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type ZaloOaConfig } from '../../config.ts';
import { silentLogger } from '../../log.ts';
import { Store } from '../../store/store.ts';
import { zaloOaStoreOf } from '../../store/zaloOaStore.ts';
import { describeOaError } from './errors.ts';
import { createPkce, permissionUrl, ZaloOAuth } from './oauth.ts';
import { cannotReachOnZalo, zaloOaOverview } from './status.ts';
import { OaTokenManager } from './tokens.ts';

/**
 * `xhht zalo-oa authorize`: the one-time OAuth v4 authorisation with PKCE. It prints the permission
 * URL (code_challenge S256 and a random state; the verifier stays in the database), then reads the
 * `code` Zalo adds to the callback URL — typed on stdin, or given later as an argument, alone or as
 * the whole callback URL — exchanges it and stores the tokens. Tokens are never printed.
 * `xhht zalo-oa status`: whether the OA is authorised, and reminders that could not reach people.
 */

export const ZALO_OA_USAGE = `  xhht zalo-oa authorize [CODE | CALLBACK-URL] [--redirect-uri URL]
                                 grant the bot access to the Zalo Official Account (OAuth v4 + PKCE):
                                 prints the permission URL, then reads the code Zalo returns (from the
                                 argument or stdin) and stores the tokens in the database
  xhht zalo-oa status            whether the OA is authorised; reminders that could not reach people`;

export interface ZaloOaCliIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  stdin?: NodeJS.ReadableStream;
  env?: Record<string, string | undefined>;
  now?: () => Date;
}

/** Pending authorisations older than the code's 10 minutes (plus slack) are useless. */
const PKCE_TTL_MS = 24 * 3_600_000;

export async function zaloOaCommand(args: string[], io: ZaloOaCliIo = {}): Promise<number> {
  const out = (s: string) => void (io.stdout ?? process.stdout).write(s);
  const err = (s: string) => void (io.stderr ?? process.stderr).write(s);
  const [sub, ...rest] = args;
  let config;
  try {
    config = loadConfig(io.env ?? {});
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const oa = config.zaloOa;
  if (!oa) {
    err('Chưa cấu hình Zalo OA: cần ZALO_OA_APP_ID, ZALO_OA_APP_SECRET và ZALO_OA_SECRET_KEY (xem .env.example).\n');
    return 2;
  }
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  try {
    if (sub === 'authorize') return await authorize({ args: rest, oa, store, publicUrl: config.publicUrl, io, out, err });
    if (sub === 'status') return status(store, oa, io, out);
    err(`Cách dùng:\n${ZALO_OA_USAGE}\n`);
    return 2;
  } finally {
    store.close();
  }
}

async function authorize(p: {
  args: string[];
  oa: ZaloOaConfig;
  store: Store;
  publicUrl: string | undefined;
  io: ZaloOaCliIo;
  out: (s: string) => void;
  err: (s: string) => void;
}): Promise<number> {
  const { oa, store, io, out, err } = p;
  const { values, positionals } = parseArgs({ args: p.args, options: { 'redirect-uri': { type: 'string' } }, allowPositionals: true });
  const now = io.now ? io.now() : new Date();
  const oaStore = zaloOaStoreOf(store);
  const exchange = (input: string) => exchangeCode({ input, oa, store, io, out, err });

  if (positionals[0]) return exchange(positionals[0]);

  const redirectUri = values['redirect-uri'] ?? oa.redirectUri ?? (p.publicUrl ? `${p.publicUrl}/zalo-oa/callback` : undefined);
  if (!redirectUri) {
    err('Cần địa chỉ callback đã khai báo trong ứng dụng Zalo: đặt ZALO_OA_REDIRECT_URI hoặc dùng --redirect-uri URL.\n');
    return 2;
  }
  const pkce = createPkce();
  oaStore.purgePkceBefore(new Date(now.getTime() - PKCE_TTL_MS).toISOString());
  oaStore.savePkce({ state: pkce.state, codeVerifier: pkce.codeVerifier, redirectUri }, now.toISOString());
  out(
    [
      'Bước 1. Mở địa chỉ sau bằng trình duyệt, đăng nhập Zalo bằng tài khoản quản trị Official Account và chọn “Cho phép”:',
      '',
      permissionUrl({ oauthRoot: oa.oauthRoot, appId: oa.appId, redirectUri, codeChallenge: pkce.codeChallenge, state: pkce.state }),
      '',
      'Bước 2. Zalo chuyển trình duyệt về địa chỉ callback, kèm tham số code=… (mã có hiệu lực 10 phút).',
      'Dán mã đó (hoặc cả địa chỉ trên thanh trình duyệt) vào đây rồi nhấn Enter:',
      '',
    ].join('\n'),
  );
  const line = await readLine(io.stdin ?? process.stdin);
  if (!line) {
    out(`Chưa nhận được mã. Khi có mã, chạy: xhht zalo-oa authorize <mã hoặc địa chỉ callback>\n`);
    return 0;
  }
  return exchange(line);
}

async function exchangeCode(p: { input: string; oa: ZaloOaConfig; store: Store; io: ZaloOaCliIo; out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { oa, store, io, out, err } = p;
  const { code, state } = readCode(p.input);
  if (!code) {
    err('Không thấy mã: dán giá trị của tham số code, hoặc cả địa chỉ callback.\n');
    return 2;
  }
  const oaStore = zaloOaStoreOf(store);
  const pending = oaStore.pkce(state);
  if (!pending) {
    err(
      state
        ? 'Tham số state không khớp lần cấp quyền nào đang chờ (có thể địa chỉ thuộc lần chạy khác). Chạy lại: xhht zalo-oa authorize\n'
        : 'Không có lần cấp quyền nào đang chờ. Chạy trước: xhht zalo-oa authorize\n',
    );
    return 2;
  }
  const oauth = new ZaloOAuth({ oauthRoot: oa.oauthRoot, appId: oa.appId, appSecret: oa.appSecret });
  try {
    const issued = await oauth.exchangeCode({ code, codeVerifier: pending.code_verifier });
    const tokens = new OaTokenManager({ store, oauth, appId: oa.appId, logger: silentLogger, ...(io.now ? { now: io.now } : {}) });
    tokens.save(issued);
    oaStore.deletePkce(pending.state);
    const s = tokens.status();
    out(`Đã cấp quyền cho Official Account. Mã truy cập hết hạn lúc ${s.accessExpiresAt ?? '?'} (UTC) và được bot tự làm mới.\n`);
    return 0;
  } catch (e) {
    err(`Zalo không chấp nhận mã (${describeOaError(e)}). Mã chỉ dùng được một lần, trong 10 phút: chạy lại xhht zalo-oa authorize.\n`);
    return 1;
  }
}

/** A bare code, or the callback URL (or its query string) holding `code` and `state`. */
export function readCode(input: string): { code: string | undefined; state: string | undefined } {
  const t = input.trim();
  if (!/[?&=]/.test(t)) return { code: t || undefined, state: undefined };
  const query = t.includes('?') ? t.slice(t.indexOf('?') + 1) : t;
  const params = new URLSearchParams(query);
  return { code: params.get('code') ?? undefined, state: params.get('state') ?? undefined };
}

function status(store: Store, oa: ZaloOaConfig, io: ZaloOaCliIo, out: (s: string) => void): number {
  const now = io.now ? io.now() : new Date();
  const o = zaloOaOverview(store, oa.appId, now);
  const t = o.tokens;
  const state = {
    ok: `đã cấp quyền; mã truy cập hết hạn lúc ${t.accessExpiresAt} (UTC), làm mới lần cuối ${t.refreshedAt}`,
    not_authorised: 'chưa cấp quyền: chạy xhht zalo-oa authorize',
    reauthorization_required: `cần cấp quyền lại từ ${t.deadSince} (Zalo từ chối mã làm mới: ${t.reason ?? '?'}): chạy xhht zalo-oa authorize`,
  }[t.state];
  out(`Official Account: ${state}\n`);
  if (t.lastRefreshProblem) out(`Lần làm mới gần nhất không liên lạc được Zalo: ${t.lastRefreshProblem}\n`);
  out(`Nhắc hạn không gửi được qua Zalo trong ${o.days} ngày qua: ${o.cannotReach}\n`);
  for (const r of cannotReachOnZalo(store, { since: new Date(now.getTime() - o.days * 86_400_000), limit: 50 })) {
    out(`  • ${r.createdAt.slice(0, 16).replace('T', ' ')} — ${r.unitName ?? r.unitId} — ${r.deadlineId} ${r.period} (${r.step}): ${r.reasonLabel}\n`);
  }
  return 0;
}

function readLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, terminal: false });
    let done = false;
    const finish = (v: string | undefined) => {
      if (done) return;
      done = true;
      rl.close();
      resolve(v);
    };
    rl.once('line', (l) => finish(l.trim() || undefined));
    rl.once('close', () => finish(undefined));
  });
}
