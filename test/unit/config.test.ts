import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';

describe('config', () => {
  it('has embedded defaults for a fresh machine', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ dbPath: 'data/xhht.sqlite', port: 8080, host: '127.0.0.1', flowsDir: 'flows', dbSynchronous: 'FULL', inboxRetentionDays: 7 });
    expect(c.telegram).toBeUndefined();
    expect(c.zalo).toBeUndefined();
  });

  it('names each bad variable', () => {
    try {
      parseConfig({ PORT: 'eighty', DB_SYNCHRONOUS: 'OFF', INBOX_RETENTION_DAYS: '1' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain('PORT:');
      expect(msg).toContain('DB_SYNCHRONOUS:');
      // A day would let a platform's redelivery through as a new message.
      expect(msg).toContain('INBOX_RETENTION_DAYS:');
    }
  });

  it('never prints a secret value', () => {
    const secret = 'not a token but very secret';
    try {
      parseConfig({ TELEGRAM_BOT_TOKEN: secret, ZALO_WEBHOOK_SECRET: 'short' });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('TELEGRAM_BOT_TOKEN');
      expect(msg).toContain('ZALO_WEBHOOK_SECRET');
      expect(msg).not.toContain(secret);
      expect(msg).not.toContain('short');
    }
  });

  it('picks polling without a public URL and webhook with one', () => {
    expect(parseConfig({ TELEGRAM_BOT_TOKEN: '123:abc' }).telegram?.mode).toBe('polling');
    expect(parseConfig({ TELEGRAM_BOT_TOKEN: '123:abc', PUBLIC_URL: 'https://bot.example.vn/', TELEGRAM_WEBHOOK_SECRET: 's_1' }).telegram).toMatchObject({
      mode: 'webhook',
    });
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_MODE: 'webhook' })).toThrow(/TELEGRAM_WEBHOOK_SECRET: required/);
  });

  it('validates the Telegram webhook secret alphabet', () => {
    expect(() => parseConfig({ TELEGRAM_WEBHOOK_SECRET: 'has space' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });
});
