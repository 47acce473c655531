import { afterEach, describe, expect, it } from 'vitest';
import { ZaloApiError, ZaloClient } from '../../src/channels/zalo/client.ts';
import { FakeZaloApi, textUpdate, zaloReplies } from '../fakes/zaloApi.ts';

const TOKEN = '1234567890:Zk3-secret-token-value';
let fake: FakeZaloApi | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(opts: Partial<Parameters<typeof FakeZaloApi.start>[0]> = {}) {
  fake = await FakeZaloApi.start({ token: TOKEN, ...opts });
  return { fake, client: new ZaloClient({ token: TOKEN, apiRoot: fake.apiRoot, requestTimeoutMs: 2000, pollGraceMs: 1000 }) };
}

async function caught(p: Promise<unknown>): Promise<ZaloApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ZaloApiError);
  return err as ZaloApiError;
}

describe('ZaloClient', () => {
  it('POSTs JSON to /bot<token>/<method> and returns the result', async () => {
    const { fake, client } = await setup();
    await expect(client.getMe()).resolves.toMatchObject({ id: '1234567890', account_type: 'BASIC' });
    const sent = await client.sendMessage({ chatId: 'c1', text: 'Xin chào' });
    expect(sent.messageId).toMatch(/^[0-9a-f]{20}$/);
    await client.sendChatAction({ chatId: 'c1', action: 'typing' });
    await expect(client.setWebhook({ url: 'https://bot.example/webhooks/zalo', secretToken: 'secret-123' })).resolves.toMatchObject({
      url: 'https://bot.example/webhooks/zalo',
    });
    await expect(client.getWebhookInfo()).resolves.toMatchObject({ url: 'https://bot.example/webhooks/zalo' });
    await expect(client.deleteWebhook()).resolves.toMatchObject({ url: '' });
    expect(fake.calls.map((c) => [c.method, c.tokenOk])).toEqual([
      ['getMe', true],
      ['sendMessage', true],
      ['sendChatAction', true],
      ['setWebhook', true],
      ['getWebhookInfo', true],
      ['deleteWebhook', true],
    ]);
    expect(fake.callsTo('sendMessage')[0]!.params).toEqual({ chat_id: 'c1', text: 'Xin chào' });
    expect(fake.callsTo('setWebhook')[0]!.params).toEqual({ url: 'https://bot.example/webhooks/zalo', secret_token: 'secret-123' });
  });

  it.each([
    ['quota', zaloReplies.quota(), 429, { isRateLimited: true, isUnauthorized: false }],
    ['unauthorized', zaloReplies.unauthorized(), 401, { isRateLimited: false, isUnauthorized: true }],
    ['forbidden', zaloReplies.forbidden(), 403, { isRateLimited: false, isUnauthorized: true }],
    ['server error', zaloReplies.serverError(), 500, { isRateLimited: false, isUnauthorized: false }],
  ])('turns a %s answer into a typed ZaloApiError', async (_name, reply, code, flags) => {
    const { fake, client } = await setup();
    fake.script('sendMessage', reply);
    const err = await caught(client.sendMessage({ chatId: 'c1', text: 'x' }));
    expect(err).toMatchObject({ kind: 'api', errorCode: code, method: 'sendMessage', ...flags });
    expect(err.description).toBe((reply as { body: { description: string } }).body.description);
  });

  it('reads error_code from the body even when the HTTP status is 200', async () => {
    const { fake, client } = await setup();
    fake.script('sendMessage', { status: 200, body: { ok: false, error_code: 429, description: 'Quota exceeded' } });
    expect(await caught(client.sendMessage({ chatId: 'c1', text: 'x' }))).toMatchObject({ isRateLimited: true });
  });

  it('reports a non-JSON or off-shape answer as invalid, keeping the HTTP status', async () => {
    const { fake, client } = await setup();
    fake.script('getMe', { status: 200, body: [1, 2] }, { status: 502, body: 'x' });
    expect(await caught(client.getMe())).toMatchObject({ kind: 'invalid_response' });
    expect(await caught(client.getMe())).toMatchObject({ kind: 'api', errorCode: 502 });
  });

  it('times out with AbortSignal.timeout', async () => {
    const { fake, client } = await setup();
    fake.script('sendMessage', zaloReplies.hang());
    const started = Date.now();
    const err = await caught(client.sendMessage({ chatId: 'c1', text: 'x' }, { timeoutMs: 150 }));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a refused connection as a network error', async () => {
    const { fake } = await setup();
    const root = fake.apiRoot;
    await fake.close();
    const client = new ZaloClient({ token: TOKEN, apiRoot: root });
    expect(await caught(client.getMe())).toMatchObject({ kind: 'network' });
  });

  it('never puts the token or the URL in an error', async () => {
    const { fake, client } = await setup();
    fake.script('sendMessage', { status: 400, body: { ok: false, error_code: 400, description: `bad token ${TOKEN}` } }, zaloReplies.hang());
    const errors = [
      await caught(client.sendMessage({ chatId: 'c1', text: 'x' })),
      await caught(client.sendMessage({ chatId: 'c1', text: 'x' }, { timeoutMs: 50 })),
      await caught(new ZaloClient({ token: TOKEN, apiRoot: 'http://127.0.0.1:1' }).getMe()),
    ];
    for (const err of errors) {
      const text = `${err.message} ${err.description} ${err.stack ?? ''} ${JSON.stringify(err)}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('Zk3-secret');
      expect(text).not.toContain('/bot');
    }
  });

  describe('getUpdates', () => {
    it('sends the timeout as a string of seconds and returns one update', async () => {
      const { fake, client } = await setup();
      const update = textUpdate({ messageId: 'm1', userId: 'u1', text: 'hi' });
      fake.queueUpdate(update);
      await expect(client.getUpdates(30)).resolves.toEqual(update);
      expect(fake.callsTo('getUpdates')[0]!.params).toEqual({ timeout: '30' });
    });

    it.each(['http408', 'ok408', 'empty'] as const)('returns undefined when nothing arrived (%s)', async (emptyPoll) => {
      const { client } = await setup({ emptyPoll, pollHoldMs: 20 });
      await expect(client.getUpdates(1)).resolves.toBeUndefined();
    });

    it('is aborted at once by the caller signal', async () => {
      const { client } = await setup({ pollHoldMs: 10_000 });
      const ac = new AbortController();
      const started = Date.now();
      const p = client.getUpdates(30, { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      expect(await caught(p)).toMatchObject({ kind: 'aborted' });
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
});
