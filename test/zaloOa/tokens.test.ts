import { afterEach, describe, expect, it } from 'vitest';
import { zaloOaOverview } from '../../src/channels/zaloOa/status.ts';
import { zaloOaStoreOf } from '../../src/store/zaloOaStore.ts';
import { textEvent } from '../fakes/zaloOaApi.ts';
import { APP_ID, type OaHarness, startOaHarness } from './harness.ts';

/** Access-token expiry, the single-use refresh token, and telling the operator when it is dead. */

let h: OaHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const rejected = (x: OaHarness) => x.fake.calls.filter((c) => c.endpoint === 'cs' && c.error === -216).length;

describe('token refresh', () => {
  it('answers -216 mid-conversation with exactly one refresh, then the same message goes out', async () => {
    h = await startOaHarness();
    const u = h.user('7001');
    await u.say('xin chào');
    const before = zaloOaStoreOf(h.bot.store).tokens(APP_ID)!;

    h.fake.expireAccessTokens();
    const replies = await u.tap('Đồng ý');
    expect(replies.at(-1)!.text).toMatch(/^Câu 1\/3\. /);
    expect(rejected(h)).toBe(1);
    expect(h.fake.refreshCalls()).toBe(1);
    const after = zaloOaStoreOf(h.bot.store).tokens(APP_ID)!;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    // The rotated refresh token is the one Zalo now accepts; the old one is spent.
    expect(h.channel.tokens.status().state).toBe('ok');
  });

  it('shares one refresh among messages sent while it is under way', async () => {
    h = await startOaHarness();
    const users = ['7101', '7102', '7103'].map((id) => h!.user(id));
    // Driven by hand so that the three replies leave in one round of the outbox, concurrently.
    await h.bot.sender.stop();
    for (const [i, u] of users.entries()) {
      expect((await h.post(textEvent({ appId: APP_ID, userId: u.id, msgId: `c-${i}`, text: 'xin chào' }))).status).toBe(200);
    }
    h.fake.expireAccessTokens();
    const release = h.fake.holdRefreshes();
    const draining = h.bot.sender.drain();
    // All three were refused and wait on the one refresh the fake holds.
    await h.fake.waitFor('three -216 answers and a held refresh', () => rejected(h!) === 3 && h!.fake.heldRefreshes === 1);
    release();
    await draining;
    expect(users.map((u) => h!.fake.messagesTo(u.id).length)).toEqual([1, 1, 1]);
    expect(h.fake.refreshCalls()).toBe(1);
  });

  it('refreshes ahead of expiry, before Zalo has to refuse anything', async () => {
    h = await startOaHarness();
    const row = zaloOaStoreOf(h.bot.store).tokens(APP_ID)!;
    zaloOaStoreOf(h.bot.store).saveTokens(
      { appId: APP_ID, accessToken: row.access_token, refreshToken: row.refresh_token, accessExpiresAt: new Date(Date.now() + 5 * 60_000).toISOString(), refreshExpiresAt: undefined },
      new Date().toISOString(),
    );
    await h.user('7201').say('xin chào');
    expect(h.fake.refreshCalls()).toBe(1);
    expect(rejected(h)).toBe(0);
  });
});

describe('a dead refresh token', () => {
  it('is reported in /healthz, the dashboard status and the log (without any token), and sending resumes after re-authorisation', async () => {
    h = await startOaHarness({ channel: { tokenRetryMs: 100 } });
    const u = h.user('7301');
    const secrets = [h.tokens.accessToken, h.tokens.refreshToken];
    h.fake.expireAccessTokens();
    h.fake.killRefreshToken();
    const res = await h.post(textEvent({ appId: APP_ID, userId: u.id, msgId: 'dead-1', text: 'xin chào' }));
    expect(res.status).toBe(200);
    await h.fake.waitFor('the refresh to be refused', () => h!.channel.tokens.status().state === 'reauthorization_required');

    const health = (await (await fetch(`http://127.0.0.1:${h.bot.port}/healthz`)).json()) as { channels: { zalo_oa: { tokens: { state: string; action: string; reason: string } } } };
    expect(health.channels.zalo_oa.tokens).toMatchObject({ state: 'reauthorization_required', reason: '-14014 Invalid refresh token' });
    expect(health.channels.zalo_oa.tokens.action).toContain('npx xhht zalo-oa authorize');
    expect(zaloOaOverview(h.bot.store, APP_ID).tokens.state).toBe('reauthorization_required');
    const errorLine = h.logs.find((l) => l.includes('Zalo refused the OA refresh token'));
    expect(errorLine).toBeDefined();
    expect(JSON.parse(errorLine!)).toMatchObject({ level: 50, code: -14014 });
    // Every token the bot ever held stays out of the log.
    const held = [...secrets, zaloOaStoreOf(h.bot.store).tokens(APP_ID)!.refresh_token];
    for (const s of held) expect(h.logs.join('\n')).not.toContain(s);
    // Only one refresh was tried: a refused refresh token is not hammered.
    expect(h.fake.refreshCalls()).toBe(1);

    // The reply is kept while the operator re-authorises, then delivered.
    expect(h.bot.store.pendingOutboxFor('zalo_oa', u.id)).toHaveLength(1);
    const fresh = h.fake.issueTokens();
    h.channel.tokens.save({ accessToken: fresh.accessToken, refreshToken: fresh.refreshToken, expiresInSec: 90_000 });
    await h.settled(u.id);
    expect(h.fake.messagesTo(u.id)).toHaveLength(1);
    expect(h.channel.tokens.status().state).toBe('ok');
    expect(h.fake.refreshCalls()).toBe(1);
  });
});

describe('the OA client', () => {
  it('sends transaction messages and ZNS templates with the access_token header, and turns negative codes into typed errors', async () => {
    h = await startOaHarness();
    const sent = await h.channel.client.sendTransaction('7401', { attachment: { type: 'template', payload: { template_type: 'transaction_event', elements: [] } }, text: 'x' });
    expect(sent.messageId).toMatch(/^[0-9a-f]{20}$/);
    const tx = h.fake.calls.find((c) => c.endpoint === 'transaction')!;
    expect(tx).toMatchObject({ tokenOk: true, error: 0, body: { recipient: { user_id: '7401' } } });
    h.fake.script('cs', { error: -201, message: 'user_id is invalid' });
    await expect(h.channel.client.sendConsultation('7401', { text: 'chào' })).rejects.toMatchObject({ name: 'ZaloOaError', kind: 'api', code: -201 });
  });
});
