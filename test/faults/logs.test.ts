import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { startFaultBot } from './support/faultBot.ts';
import { leaksIn, readLogs } from './support/logScan.ts';
import { runCitizens } from './support/scenario.ts';
import {
  FULL_NAME,
  PHONE,
  secretsAndPersonalValues,
  TG_SECRET,
  TG_TOKEN,
  telegramUpdate,
  USERNAME,
  userIdOf,
  ZALO_SECRET,
  ZALO_TOKEN,
  zaloUpdate,
} from './support/values.ts';

/**
 * Logs: the fault tests each scan their own logs (redelivery, platform faults, crash, fuzz). This
 * file checks the scanner itself, then drives the paths most likely to leak — platform errors that
 * quote the token, a blocked chat, a rejected token, wrong secrets, garbage bodies, data deletion,
 * registration codes, phone numbers typed as answers — with every log level on, and scans that.
 */

describe('the log scan', () => {
  it('finds a value written raw, JSON-escaped or \\u-escaped, and nothing in clean text', () => {
    const values = [TG_TOKEN, FULL_NAME, PHONE];
    expect(leaksIn(`{"msg":"x","err":"${TG_TOKEN}"}`, values)).toEqual([TG_TOKEN]);
    expect(leaksIn(JSON.stringify({ name: FULL_NAME }), values)).toEqual([FULL_NAME]);
    const asciiEscaped = JSON.stringify({ name: FULL_NAME }).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(leaksIn(asciiEscaped, values)).toEqual([FULL_NAME]);
    expect(leaksIn(`{"level":30,"userKeyHash":"ab12","phoneLike":"09123"}`, values)).toEqual([]);
  });
});

describe('logs under the paths most likely to leak', () => {
  it('hold no token, secret, name, typed answer or phone number', async () => {
    const telegram = await FakeTelegramApi.start(TG_TOKEN);
    const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
    const fb = await startFaultBot({ telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot, zalo: { requestTimeoutMs: 1000, quotaBackoffMs: 20 } });
    try {
      // Platform errors whose descriptions quote the token.
      telegram.failNext('sendMessage', 2, { kind: 'error', code: 400, description: `Bad Request: invalid token ${TG_TOKEN}` });
      zalo.script('sendMessage', { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: token ${ZALO_TOKEN} refused` } });
      zalo.script('sendMessage', { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
      // A whole conversation on each channel (names, typed commune with a phone number).
      await runCitizens(fb, [{ channel: 'telegram', citizen: 1 }, { channel: 'zalo', citizen: 2 }, { channel: 'zalo', citizen: 3 }], { copies: 1 });
      // A citizen who blocked the bot (once the replies above are out, so the failure is theirs).
      await fb.idle(30_000);
      telegram.failNext('sendMessage', 1, { kind: 'blocked' });
      expect(await fb.post('telegram', telegramUpdate(4, 0, `Tôi là ${FULL_NAME}, số ${PHONE}`))).toBe(200);
      // Data deletion, a registration code, a phone number in free text.
      for (const [turn, text] of ['xóa dữ liệu', 'có', `đăng ký ${PHONE}`, `Gọi ${PHONE} nhé`, `@${USERNAME}`].entries()) {
        expect(await fb.post('telegram', telegramUpdate(1, 20 + turn, text))).toBe(200);
        expect(await fb.post('zalo', zaloUpdate(2, 20 + turn, text))).toBe(200);
      }
      // Wrong secrets and garbage carrying secrets and personal values in the body.
      const garbage = `{"update_id": "${TG_SECRET}", "name": "${FULL_NAME}", "phone": "${PHONE}"`;
      for (const channel of ['telegram', 'zalo'] as const) {
        const wrong = await fetch(fb.url(channel), { method: 'POST', headers: { 'x-telegram-bot-api-secret-token': ZALO_SECRET, 'x-bot-api-secret-token': TG_SECRET }, body: '{}' });
        expect(wrong.status).toBe(401);
        expect(await fb.post(channel, garbage)).toBe(400);
        expect(await fb.post(channel, JSON.parse(`${garbage}}`))).toBe(400);
      }
      await fb.idle(30_000);
      expect(fb.bot.store.outboxRows('telegram').some((r) => r.status === 'failed' && r.chat_id === userIdOf('telegram', 4))).toBe(true);
    } finally {
      await fb.close({ keepDir: true });
      await Promise.all([telegram.close(), zalo.close()]);
    }
    const { text, lines } = readLogs(fb.logFile);
    rmSync(fb.dir, { recursive: true, force: true });
    // The paths above did log (the scan is not vacuous) …
    expect(lines).toBeGreaterThan(50);
    expect(text).toContain('message failed permanently');
    expect(text).toContain('zalo rejected the bot token');
    // … and none of it leaked.
    expect(leaksIn(text, secretsAndPersonalValues([1, 2, 3, 4]))).toEqual([]);
  }, 120_000);
});
