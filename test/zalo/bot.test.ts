import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../src/app.ts';
import { CHOICE_HINT } from '../../src/channels/zalo/render.ts';
import { createZaloChannel } from '../../src/channels/zalo/index.ts';
import { parseConfig } from '../../src/config.ts';
import * as msg from '../../src/engine/messages.ts';
import { fold } from '../../src/engine/vietnamese.ts';
import type { Logger } from '../../src/log.ts';
import { FakeZaloApi, imageUpdate, stickerUpdate, textUpdate, unsupportedUpdate, webhookBody, zaloReplies } from '../fakes/zaloApi.ts';

const TOKEN = '3344556677:e2e-SECRET-token-Xy9';
const SECRET = 'webhook-secret-e2e-123';
const PUBLIC_URL = 'https://xhht.example.org';
const FIXTURE_FLOWS = resolve(import.meta.dirname, '../fixtures/zalo');
const REAL_FLOWS = resolve(import.meta.dirname, '../../flows');
const REAL_FLOW_FILE = join(REAL_FLOWS, 'cong-dan-hoc-tap.yaml');

interface Harness {
  bot: Bot;
  fake: FakeZaloApi;
  logs: string[];
  url: string;
  close(): Promise<void>;
}

async function startHarness(flowsDir: string): Promise<Harness> {
  const fake = await FakeZaloApi.start({ token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'xhht-zalo-'));
  const logs: string[] = [];
  const logger: Logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  const config = parseConfig({
    DB_PATH: join(dir, 'bot.sqlite'),
    PORT: '0',
    FLOWS_DIR: flowsDir,
    PUBLIC_URL,
    OUTBOX_POLL_MS: '20',
    MAX_BODY_BYTES: '4096',
    LOCAL_CHAT_ON_START: 'false',
    ZALO_BOT_TOKEN: TOKEN,
    ZALO_WEBHOOK_SECRET: SECRET,
    ZALO_API_ROOT: fake.apiRoot,
    ZALO_MODE: 'webhook',
  });
  const bot = await startBot(config, logger, [createZaloChannel]);
  return {
    bot,
    fake,
    logs,
    url: `http://127.0.0.1:${bot.port}/webhooks/zalo`,
    async close() {
      await bot.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function post(h: Harness, body: unknown, headers: Record<string, string> = { 'X-Bot-Api-Secret-Token': SECRET }): Promise<Response> {
  return fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Waits until no outbox row of the chat is pending, i.e. every reply was delivered or given up. */
async function settled(h: Harness, chatId: string, timeoutMs = 8000): Promise<void> {
  await h.fake.waitFor(`outbox of ${chatId} to drain`, () => h.bot.store.pendingOutboxFor('zalo', chatId).length === 0, timeoutMs);
}

/** One Zalo user talking to the bot through the webhook. */
class ZaloUser {
  private n = 0;
  constructor(
    private readonly h: Harness,
    readonly id: string,
  ) {}

  nextId(): string {
    return `${this.id}-m${++this.n}`;
  }

  /** Delivers an update (default: the documented envelope) and returns the replies it caused. */
  async deliver(update: unknown, opts: { bare?: boolean } = {}): Promise<string[]> {
    const before = this.h.fake.messagesTo(this.id).length;
    const res = await post(this.h, opts.bare ? update : webhookBody(update));
    expect(res.status).toBe(200);
    await settled(this.h, this.id);
    return this.h.fake.messagesTo(this.id).slice(before);
  }

  say(text: string): Promise<string[]> {
    return this.deliver(textUpdate({ messageId: this.nextId(), userId: this.id, text }));
  }

  person() {
    return this.h.bot.store.findPerson('zalo', this.id);
  }
}

/** The numbered choices right above the hint line of a rendered question, or undefined. */
function choicesIn(text: string): string[] | undefined {
  const lines = text.split('\n');
  const hint = lines.lastIndexOf(CHOICE_HINT);
  if (hint < 0) return undefined;
  const labels: string[] = [];
  for (let i = hint - 1; i >= 0; i--) {
    const m = /^(\d+)\. (.+)$/.exec(lines[i]!);
    if (!m) break;
    labels.unshift(m[2]!);
  }
  return labels;
}

/** Answers every question the way a person on Zalo would, until the result arrives. */
async function completeSelfCheck(user: ZaloUser, first: string[], answer: (labels: string[] | undefined, question: string, turn: number) => string) {
  let replies = first;
  const sent: string[] = [];
  for (let turn = 0; turn < 40; turn++) {
    if (replies.some((r) => r.startsWith('KẾT QUẢ'))) return { replies, sent };
    const question = replies.at(-1);
    expect(question, 'the bot replied').toBeDefined();
    const typed = answer(choicesIn(question!), question!, turn);
    sent.push(typed);
    replies = await user.say(typed);
  }
  throw new Error('the self-check did not end within 40 turns');
}

function responsesOf(h: Harness, user: ZaloUser) {
  const person = user.person();
  expect(person).toBeDefined();
  return h.bot.store.responsesOf(person!.id);
}

describe('Zalo channel, webhook mode (fixture flow)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(FIXTURE_FLOWS);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('registers ${PUBLIC_URL}/webhooks/zalo with the secret token at start', async () => {
    await h.fake.waitFor('setWebhook', () => h.fake.callsTo('setWebhook').length === 1);
    expect(h.fake.callsTo('setWebhook')[0]!.params).toEqual({ url: `${PUBLIC_URL}/webhooks/zalo`, secret_token: SECRET });
    await h.fake.waitFor('health to say registered', () => (h.bot.channels[0]!.health() as { webhook: string }).webhook === 'registered');
  });

  it('runs a whole self-check typed without diacritics ("dong y", "co", "khong", "gui") to the result', async () => {
    const user = new ZaloUser(h, 'u-accentless');
    const hello = await user.say('xin chao');
    expect(hello).toHaveLength(1);
    expect(hello[0]).toContain('Anh/Chị có đồng ý không?');
    expect(hello[0]).toContain(`1. Đồng ý\n2. Không đồng ý\n${CHOICE_HINT}`);
    expect(user.person(), 'nothing stored before consent').toBeUndefined();

    const start = await user.say('dong y');
    expect(start[0]).toBe(msg.consentThanks);
    expect(start.at(-1)).toMatch(/^Câu 1\/3\. .*tham gia ít nhất một lớp học/);
    expect(start.at(-1)).toContain('1. Có\n2. Không');

    expect((await user.say('co')).at(-1)).toMatch(/^Câu 2\/3\. /);
    expect((await user.say('tren 5 gio')).at(-1)).toMatch(/^Câu 3\/3\. /);
    const summary = await user.say('khong');
    expect(summary.at(-1)).toContain('Tóm tắt câu trả lời');
    expect(summary.at(-1)).toContain('1. Gửi\n2. Sửa một câu');

    const result = await user.say('gui');
    expect(result).toHaveLength(1); // the `result` output itself sends nothing
    expect(result[0]).toMatch(/^KẾT QUẢ — Tự kiểm tra nhanh/);
    expect(result[0]).toContain('Tổng điểm: 20/30.');

    const [response] = responsesOf(h, user);
    expect(response).toMatchObject({ status: 'submitted', score: 20, passed: 1 });
    const answers = h.bot.store.currentAnswers(response!.id).map((a) => [a.question_id, a.raw, JSON.parse(a.value)]);
    expect(answers).toEqual([
      ['y1', 'co', 'yes'],
      ['s1', 'tren 5 gio', 'high'],
      ['y2', 'khong', 'no'],
    ]);
  });

  it('splits the long intro into parts under 2000 characters, at line or word boundaries, in order', async () => {
    const user = new ZaloUser(h, 'u-long');
    await user.say('chào');
    const start = await user.say('1');
    const intro = h.bot.flows[0]!.intro.trim();
    const introParts = start.slice(1, -1);
    expect(introParts.length).toBeGreaterThanOrEqual(2);
    for (const text of h.fake.messagesTo()) expect(text.length).toBeLessThanOrEqual(2000);
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    // Every word of the intro arrives whole (a word cut in two would not match) and in order.
    const joined = words(introParts.join(' ')).join(' ');
    expect(joined).toContain(words(intro).join(' '));
    // No rejected (400) sendMessage: nothing was over the limit.
    expect(h.fake.callsTo('sendMessage').filter((c) => c.status === 400)).toEqual([]);
  });

  it('sends "typing" before the replies of a turn', async () => {
    const user = new ZaloUser(h, 'u-typing');
    await user.say('chào');
    const calls = h.fake.calls.filter((c) => c.params.chat_id === user.id).map((c) => c.method);
    expect(calls).toEqual(['sendChatAction', 'sendMessage']);
  });

  it('rejects a wrong or missing secret with 401 and stores nothing', async () => {
    const update = webhookBody(textUpdate({ messageId: 'evil-1', userId: 'u-evil', text: 'xin chào' }));
    const wrong = await post(h, update, { 'X-Bot-Api-Secret-Token': 'not-the-secret' });
    const missing = await post(h, update, {});
    const almost = await post(h, update, { 'X-Bot-Api-Secret-Token': SECRET.slice(0, -1) });
    const longer = await post(h, update, { 'X-Bot-Api-Secret-Token': `${SECRET}x` });
    expect([wrong.status, missing.status, almost.status, longer.status]).toEqual([401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.bot.store.hasInbound('zalo', 'evil-1')).toBe(false);
    expect(h.bot.store.findPerson('zalo', 'u-evil')).toBeUndefined();
    expect(h.bot.store.outboxRows('zalo').filter((r) => r.chat_id === 'u-evil')).toEqual([]);
    expect(h.fake.messagesTo('u-evil')).toEqual([]);
  });

  it('answers 413 for a body over MAX_BODY_BYTES, 400 for non-JSON and for a shape that is not an update', async () => {
    const big = webhookBody(textUpdate({ messageId: 'big-1', userId: 'u-bad', text: 'x'.repeat(5000) }));
    expect((await post(h, big)).status).toBe(413);
    expect((await post(h, '{"ok": true, "result": ')).status).toBe(400);
    expect((await post(h, { ok: true, result: { message: { text: 'x' } } })).status).toBe(400);
    expect((await post(h, webhookBody({ event_name: 'message.text.received', message: { text: 'x' } }))).status).toBe(400);
    expect((await post(h, [1, 2, 3])).status).toBe(400);
    expect(h.bot.store.hasInbound('zalo', 'big-1')).toBe(false);
    expect(h.fake.messagesTo('u-bad')).toEqual([]);
  });

  it('answers 200 to unknown event names and ignores them', async () => {
    const res = await post(h, webhookBody({ event_name: 'user.follow.oa', follower: { id: 'u-follow' } }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.bot.store.outboxRows('zalo').filter((r) => r.chat_id === 'u-follow')).toEqual([]);
  });

  it('accepts the bare {event_name, message} body too', async () => {
    const user = new ZaloUser(h, 'u-bare');
    const replies = await user.deliver(textUpdate({ messageId: user.nextId(), userId: user.id, text: 'xin chào' }), { bare: true });
    expect(replies[0]).toContain('Anh/Chị có đồng ý không?');
  });

  it('handles a redelivered event once: one answer row, one reply', async () => {
    const user = new ZaloUser(h, 'u-dup');
    await user.say('xin chào');
    await user.say('1');
    const update = webhookBody(textUpdate({ messageId: 'dup-answer-1', userId: user.id, text: '1' }));
    const outboxBefore = h.bot.store.outboxRows('zalo').length;
    const first = await post(h, update);
    expect(first.status).toBe(200);
    const outboxAfterFirst = h.bot.store.outboxRows('zalo').length;
    // Redelivered after the first was answered, and twice at the same moment.
    const again = await Promise.all([post(h, update), post(h, update), post(h, update)]);
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(h.bot.store.outboxRows('zalo').length).toBe(outboxAfterFirst);
    expect(outboxAfterFirst - outboxBefore).toBe(1);
    await settled(h, user.id);
    await new Promise((r) => setTimeout(r, 150));
    const replies = h.fake.messagesTo(user.id).filter((t) => t.startsWith('Câu 2/3'));
    expect(replies).toHaveLength(1);
    const [response] = responsesOf(h, user);
    expect(h.bot.store.allAnswers(response!.id).filter((a) => a.question_id === 'y1')).toHaveLength(1);
  });

  it('retries after 429 "Quota exceeded": each reply delivered once and in order', async () => {
    const user = new ZaloUser(h, 'u-quota');
    await user.say('xin chào');
    const quotaCallsBefore = h.fake.callsTo('sendMessage').filter((c) => c.status === 429).length;
    h.fake.script('sendMessage', zaloReplies.quota());
    const started = Date.now();
    const replies = await user.say('đồng ý');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700); // waited out the back-off
    expect(h.fake.callsTo('sendMessage').filter((c) => c.status === 429).length - quotaCallsBefore).toBe(1);
    expect(replies[0]).toBe(msg.consentThanks);
    expect(replies[1]).toMatch(/^Tự kiểm tra nhanh/);
    expect(replies.at(-1)).toMatch(/^Câu 1\/3/);
    expect(new Set(replies).size).toBe(replies.length);
    const rows = h.bot.store.outboxRows('zalo').filter((r) => r.chat_id === user.id);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
  });

  it.each([
    ['sticker', stickerUpdate],
    ['image', imageUpdate],
    ['unsupported (protected user)', unsupportedUpdate],
  ])('answers a %s mid-flow politely, asks the same question again, and the flow continues', async (_what, make) => {
    const user = new ZaloUser(h, `u-${_what.split(' ')[0]}`);
    await user.say('xin chào');
    await user.say('1');
    const q2 = (await user.say('1')).at(-1)!;
    expect(q2).toMatch(/^Câu 2\/3/);
    const replies = await user.deliver(make({ messageId: user.nextId(), userId: user.id }));
    expect(replies).toEqual([msg.unsupportedInFlow, q2]);
    expect((await user.say('2')).at(-1)).toMatch(/^Câu 3\/3/);
    const [response] = responsesOf(h, user);
    expect(h.bot.store.currentAnswers(response!.id).map((a) => a.question_id)).toEqual(['y1', 's1']);
  });

  it('stops sending to a chat answered with 403: marked unreachable, no endless retries', async () => {
    const user = new ZaloUser(h, 'u-blocked');
    await user.say('xin chào');
    await user.say('1');
    h.fake.always('sendMessage', zaloReplies.forbidden());
    try {
      const attemptsBefore = h.fake.callsTo('sendMessage').filter((c) => c.params.chat_id === user.id).length;
      await user.say('1'); // would get "Câu 2/3"
      await new Promise((r) => setTimeout(r, 400)); // several outbox polls
      const attempts = h.fake.callsTo('sendMessage').filter((c) => c.params.chat_id === user.id).length - attemptsBefore;
      expect(attempts).toBe(1);
      const rows = h.bot.store.outboxRows('zalo').filter((r) => r.chat_id === user.id);
      expect(rows.at(-1)).toMatchObject({ status: 'failed' });
      expect(user.person()?.unreachable_at).not.toBeNull();
    } finally {
      h.fake.always('sendMessage', undefined);
    }
    // When the person writes again, they are reachable again and the flow goes on.
    const replies = await user.say('2');
    expect(replies.at(-1)).toMatch(/^Câu 3\/3/);
    expect(user.person()?.unreachable_at).toBeNull();
  });

  it('never logs the token, the secret, URLs, names or message text', () => {
    const all = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(10); // the logger was in use (trace level)
    for (const secret of [TOKEN, TOKEN.split(':')[1]!, SECRET, h.fake.apiRoot, '/bot', PUBLIC_URL, 'Nguyễn Văn Thử', 'tren 5 gio', 'xin chao', 'đồng ý']) {
      expect(all, `logs contain ${secret}`).not.toContain(secret);
    }
  });
});

describe.skipIf(!existsSync(REAL_FLOW_FILE))('Zalo channel with the Công dân học tập flow', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(REAL_FLOWS);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('completes the self-check by typed numbers and shows the result', async () => {
    const user = new ZaloUser(h, 'u-numbers');
    const first = await user.say('Xin chào');
    const { replies, sent } = await completeSelfCheck(user, first, (labels) => (labels ? '1' : 'Phường Ba Đình'));
    expect(sent[0]).toBe('1'); // consent by number
    const result = replies.find((r) => r.startsWith('KẾT QUẢ'))!;
    expect(result).toContain('Tổng điểm: 100/100.');
    expect(result).toContain('Anh/Chị ĐẠT');
    const [response] = responsesOf(h, user);
    expect(response).toMatchObject({ flow_id: 'cong-dan-hoc-tap', status: 'submitted', score: 100, passed: 1 });
    const answers = h.bot.store.currentAnswers(response!.id);
    expect(answers.find((a) => a.question_id === 'q1')).toMatchObject({ raw: '1', value: JSON.stringify('daily') });
    expect(answers.find((a) => a.question_id === 'commune')).toMatchObject({ raw: 'Phường Ba Đình' });
    for (const text of h.fake.messagesTo(user.id)) expect(text.length).toBeLessThanOrEqual(2000);
  });

  it('completes the self-check by labels typed without diacritics, branching on the answers', async () => {
    const user = new ZaloUser(h, 'u-labels');
    const first = await user.say('chao ban');
    const { replies, sent } = await completeSelfCheck(user, first, (labels, _q, turn) => {
      if (!labels) return 'phuong ba dinh';
      if (labels.includes('Đồng ý')) return 'dong y';
      if (labels.includes('Gửi')) return 'gui';
      const plain = labels.find((l) => fold(l) === 'khong') ?? labels.find((l) => fold(l) === 'chua co') ?? labels[turn % labels.length]!;
      return fold(plain);
    });
    expect(sent).toContain('dong y');
    expect(sent).toContain('khong');
    expect(sent).toContain('gui');
    expect(sent.every((s) => s === fold(s))).toBe(true);
    expect(replies.find((r) => r.startsWith('KẾT QUẢ'))).toMatch(/CHƯA ĐẠT|ĐẠT/);
    const [response] = responsesOf(h, user);
    expect(response).toMatchObject({ status: 'submitted' });
    const answers = Object.fromEntries(h.bot.store.currentAnswers(response!.id).map((a) => [a.question_id, JSON.parse(a.value)]));
    expect(answers.q2).toBe('none'); // "chua co"
    expect(answers.q2_topic).toBe('phuong ba dinh'); // the branch it opened was asked
    expect(answers.q4).toBe('never'); // "khong"
    expect(answers.q10).toBe('never');
  });
});
