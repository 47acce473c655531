import { afterEach, describe, expect, it } from 'vitest';
import { ZaloClient } from '../../src/channels/zalo/client.ts';
import { ZaloTransport } from '../../src/channels/zalo/transport.ts';
import type { Output } from '../../src/engine/types.ts';
import { silentLogger } from '../../src/log.ts';
import type { OutboxRow } from '../../src/store/store.ts';
import { FakeZaloApi, zaloReplies } from '../fakes/zaloApi.ts';

const TOKEN = '99887766:transport-test-token';
let fake: FakeZaloApi | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup() {
  fake = await FakeZaloApi.start({ token: TOKEN });
  const client = new ZaloClient({ token: TOKEN, apiRoot: fake.apiRoot, requestTimeoutMs: 300 });
  return { fake, transport: new ZaloTransport({ client, logger: silentLogger, quotaBackoffMs: 1000, typingTimeoutMs: 1000 }) };
}

function row(id: number, attempts = 0, chatId = 'chat-1'): OutboxRow {
  return {
    id,
    channel: 'zalo',
    chat_id: chatId,
    person_id: null,
    kind: 'message',
    payload: '',
    dedupe_key: null,
    status: 'pending',
    attempts,
    created_at: '',
    next_attempt_at: '',
    sent_at: null,
    last_error: null,
  };
}

const hello: Output = { kind: 'message', text: 'Xin chào', choices: [{ id: 'a', label: 'Đồng ý' }] };

describe('ZaloTransport', () => {
  it('sends "typing" then the rendered text to chat.id', async () => {
    const { fake, transport } = await setup();
    await expect(transport.send(row(1), hello)).resolves.toEqual({ kind: 'sent' });
    expect(fake.calls.map((c) => c.method)).toEqual(['sendChatAction', 'sendMessage']);
    expect(fake.callsTo('sendChatAction')[0]!.params).toEqual({ chat_id: 'chat-1', action: 'typing' });
    expect(fake.messagesTo('chat-1')).toEqual(['Xin chào\n\n1. Đồng ý\n(Trả lời bằng số thứ tự hoặc nội dung)']);
  });

  it('shows "typing" once for the several replies of one turn', async () => {
    const { fake, transport } = await setup();
    for (const id of [1, 2, 3]) await transport.send(row(id), hello);
    await transport.send(row(4, 0, 'chat-2'), hello);
    expect(fake.calls.map((c) => `${c.method}:${String(c.params.chat_id)}`)).toEqual([
      'sendChatAction:chat-1',
      'sendMessage:chat-1',
      'sendMessage:chat-1',
      'sendMessage:chat-1',
      'sendChatAction:chat-2',
      'sendMessage:chat-2',
    ]);
  });

  it('sends nothing for a result output', async () => {
    const { fake, transport } = await setup();
    const result = { flow: 'f', flowVersion: '1', passed: true, score: 1, maxScore: 1, level: null, criteria: [], indicators: [] };
    await expect(transport.send(row(1), { kind: 'result', result })).resolves.toEqual({ kind: 'sent' });
    expect(fake.calls).toEqual([]);
  });

  it('still sends the message when the typing indicator fails or hangs', async () => {
    const { fake, transport } = await setup();
    fake.script('sendChatAction', zaloReplies.serverError(), zaloReplies.hang());
    await expect(transport.send(row(1), hello)).resolves.toEqual({ kind: 'sent' });
    await expect(transport.send(row(2), hello)).resolves.toEqual({ kind: 'sent' });
    expect(fake.messagesTo('chat-1')).toHaveLength(2);
  });

  it('backs off on 429 "Quota exceeded", longer with each attempt', async () => {
    const { fake, transport } = await setup();
    fake.always('sendMessage', zaloReplies.quota());
    const first = await transport.send(row(1, 0), hello);
    const third = await transport.send(row(1, 2), hello);
    expect(first).toMatchObject({ kind: 'retry' });
    expect(first.kind === 'retry' && first.afterMs).toBeGreaterThanOrEqual(800);
    expect(first.kind === 'retry' && first.afterMs).toBeLessThanOrEqual(1200);
    expect(third.kind === 'retry' && third.afterMs).toBeGreaterThanOrEqual(3200);
    expect(first.kind === 'retry' && first.error).toContain('Quota exceeded');
  });

  it.each([
    ['401', zaloReplies.unauthorized()],
    ['403', zaloReplies.forbidden()],
  ])('gives up on the chat for good on %s', async (_code, reply) => {
    const { fake, transport } = await setup();
    fake.script('sendMessage', reply);
    await expect(transport.send(row(1), hello)).resolves.toMatchObject({ kind: 'failed', unreachable: true });
  });

  it('fails a 400 without marking the chat unreachable', async () => {
    const { fake, transport } = await setup();
    fake.script('sendMessage', zaloReplies.badRequest());
    const outcome = await transport.send(row(1), hello);
    expect(outcome).toMatchObject({ kind: 'failed' });
    expect(outcome.kind === 'failed' && outcome.unreachable).toBeFalsy();
  });

  it.each([
    ['a 500', zaloReplies.serverError()],
    ['a timeout', zaloReplies.hang()],
  ])('retries after %s, leaving the delay to the sender', async (_name, reply) => {
    const { fake, transport } = await setup();
    fake.script('sendMessage', reply);
    const outcome = await transport.send(row(1), hello);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome.kind === 'retry' && outcome.afterMs).toBeUndefined();
  });

  it('does not resend the parts of a long text already delivered when a later part is retried', async () => {
    const { fake, transport } = await setup();
    const text = ['A'.repeat(1500), 'B'.repeat(1500), 'C'.repeat(1500)].join('\n');
    fake.script('sendMessage', { status: 200, body: { ok: true, result: { message_id: '1', date: 1 } } }, zaloReplies.quota());
    await expect(transport.send(row(7), { kind: 'message', text })).resolves.toMatchObject({ kind: 'retry' });
    await expect(transport.send(row(7, 1), { kind: 'message', text })).resolves.toEqual({ kind: 'sent' });
    const texts = fake.callsTo('sendMessage').map((c) => String(c.params.text)[0]);
    expect(texts).toEqual(['A', 'B', 'B', 'C']);
    expect(fake.callsTo('sendChatAction')).toHaveLength(1);
  });
});
