import { type Conversation, type ConversationFlavor, conversations, createConversation } from '@grammyjs/conversations';
import type Database from 'better-sqlite3';
import { type ApiClientOptions, Bot, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { SqliteStorageAdapter } from './sqliteStorage.ts';

/**
 * The PEER: the same self-check written the way the grammY documentation suggests — one
 * @grammyjs/conversations function that asks question after question with `conversation.waitFor`,
 * its state persisted by a storage adapter (better-sqlite3, FULL). The plugin replays the function
 * from the start on every update, which is its documented execution model. Deliberately ordinary:
 * no dedupe of redelivered updates, no outbox (replies are awaited inside the webhook request).
 */

export interface PeerQuestion {
  id: string;
  text: string;
  options?: Array<{ id: string; label: string; points?: number }>;
  indicator?: string;
  /** Only the simple conditions the self-check uses: an earlier answer in a list. */
  when?: { question: string; in: string[] };
  maxLength?: number;
}

export interface PeerFlow {
  title: string;
  intro: string;
  questions: PeerQuestion[];
  pass: { minTotal: number; minPerIndicator: number };
}

type PeerContext = ConversationFlavor<Context>;
type PeerConversation = Conversation<PeerContext, Context>;

export const PEER_BOT_INFO = {
  id: 654321,
  is_bot: true,
  first_name: 'Peer',
  username: 'peer_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

const CONSENT =
  'Xin chào Anh/Chị! Trước khi bắt đầu, bot cần Anh/Chị đồng ý cho lưu các câu trả lời để tổng hợp. 1. Đồng ý  2. Không đồng ý';

/**
 * `client` must point the Bot API at 127.0.0.1 (`apiRoot`) or answer it in process (`fetch`): the
 * conversations plugin builds its own Api from these options for calls made inside a conversation,
 * so a transformer installed on bot.api would not catch them.
 */
export function createPeerBot(opts: {
  token: string;
  client: { apiRoot: string } | { fetch: NonNullable<ApiClientOptions['fetch']> };
  db: Database.Database;
  flow: PeerFlow;
}): Bot<PeerContext> {
  const bot = new Bot<PeerContext>(opts.token, { botInfo: PEER_BOT_INFO, client: opts.client });
  const saveResult = opts.db.prepare('INSERT INTO peer_results (chat_id, answers, score, passed, created_at) VALUES (?, ?, ?, ?, ?)');
  const { flow } = opts;

  async function checkup(conversation: PeerConversation, ctx: Context): Promise<void> {
    await ctx.reply(CONSENT);
    for (;;) {
      const c = await conversation.waitFor('message:text');
      const t = norm(c.message.text);
      if (t === '1' || t === 'đồng ý') break;
      if (t === '2' || t === 'không đồng ý') {
        await c.reply('Bot sẽ không lưu thông tin nào của Anh/Chị.');
        return;
      }
      await c.reply(CONSENT);
    }
    await ctx.reply(`${flow.title}\n${flow.intro}`);
    const answers: Record<string, string> = {};
    for (const q of flow.questions) {
      if (q.when && !q.when.in.includes(answers[q.when.question] ?? '')) continue;
      answers[q.id] = await ask(conversation, ctx, q);
    }
    await ctx.reply(`Tóm tắt: ${Object.keys(answers).length} câu đã trả lời. 1. Gửi  2. Sửa`);
    for (;;) {
      const c = await conversation.waitFor('message:text');
      if (norm(c.message.text) === '1') break;
      await c.reply('Anh/Chị gõ 1 để gửi.');
    }
    const result = score(flow, answers);
    await conversation.external(() => {
      saveResult.run(String(ctx.chatId), JSON.stringify(answers), result.total, result.passed ? 1 : 0, new Date().toISOString());
    });
    await ctx.reply(`KẾT QUẢ — ${flow.title}\nTổng điểm: ${result.total}. ${result.passed ? 'Đạt' : 'Chưa đạt'}.`);
  }

  bot.use(conversations({ storage: { type: 'key', adapter: new SqliteStorageAdapter(opts.db, 'grammy_conversations') } }));
  bot.use(createConversation(checkup, 'checkup'));
  bot.on('message:text', (ctx) => ctx.conversation.enter('checkup'));
  return bot;
}

/** A Bot API answered in process, at once, as the instant fake would answer it. Counts the calls. */
export function instantBotApi(): { fetch: NonNullable<ApiClientOptions['fetch']>; calls: () => number } {
  let calls = 0;
  let messageId = 1;
  const fetch = (async (url: unknown, init?: { body?: unknown }) => {
    calls++;
    const method = String(url).split('/').pop();
    let chatId = 0;
    if (typeof init?.body === 'string') chatId = Number((JSON.parse(init.body) as { chat_id?: unknown }).chat_id ?? 0);
    const result = method === 'sendMessage' ? { message_id: messageId++, date: 0, chat: { id: chatId, type: 'private' }, text: '.' } : true;
    return new Response(JSON.stringify({ ok: true, result }), { headers: { 'content-type': 'application/json' } });
  }) as unknown as NonNullable<ApiClientOptions['fetch']>;
  return { fetch, calls: () => calls };
}

async function ask(conversation: PeerConversation, ctx: Context, q: PeerQuestion): Promise<string> {
  const prompt = q.options ? `${q.text}\n${q.options.map((o, i) => `${i + 1}. ${o.label}`).join('\n')}` : q.text;
  await ctx.reply(prompt);
  for (;;) {
    const c = await conversation.waitFor('message:text');
    const text = c.message.text.trim();
    if (!q.options) {
      if (text.length > 0 && text.length <= (q.maxLength ?? 200)) return text;
    } else {
      const n = Number(text);
      const byNumber = Number.isInteger(n) ? q.options[n - 1] : undefined;
      const picked = byNumber ?? q.options.find((o) => norm(o.label) === norm(text));
      if (picked) return picked.id;
    }
    await c.reply(`Câu trả lời chưa hợp lệ. ${prompt}`);
  }
}

function score(flow: PeerFlow, answers: Record<string, string>): { total: number; passed: boolean } {
  const byIndicator = new Map<string, number>();
  for (const q of flow.questions) {
    if (!q.indicator || !q.options) continue;
    const points = q.options.find((o) => o.id === answers[q.id])?.points ?? 0;
    byIndicator.set(q.indicator, (byIndicator.get(q.indicator) ?? 0) + points);
  }
  const total = [...byIndicator.values()].reduce((a, b) => a + b, 0);
  const passed = total >= flow.pass.minTotal && [...byIndicator.values()].every((p) => p >= flow.pass.minPerIndicator);
  return { total, passed };
}

function norm(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}
