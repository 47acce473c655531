import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Input, Output } from '../../engine/types.ts';
import { DashboardStore } from '../../store/dashboardStore.ts';
import { clientAddress } from '../clientAddress.ts';
import { clock, secureCookies, type WebDeps } from '../deps.ts';
import { compressText, pageHeaders, rejectCrossSite } from '../headers.ts';
import { type ChatMessage, chatPage } from './chatPage.ts';
import { RateLimiter } from './rateLimit.ts';

/**
 * The web channel: the local chat over HTTP, for trying the bot in a browser without a messenger.
 * Like the terminal chat it is its own sender: replies are read from the outbox rows of channel
 * "web" for this chat and marked sent when a page or a JSON answer carries them.
 */

export const WEB_CHANNEL = 'web';
const COOKIE = 'xhht_chat';
const COOKIE_MAX_AGE = 365 * 24 * 3600;
const TRANSCRIPT_LENGTH = 60;
/** Per client address: a burst of 30 messages, then 60 a minute. */
export const DEFAULT_CHAT_RATE = { perMinute: 60, burst: 30 };

const chatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{24}$/);
const eventSchema = z.uuid();

export const sendSchema = z.union([
  z.strictObject({ event: eventSchema, text: z.string().trim().min(1).max(2000) }),
  z.strictObject({ event: eventSchema, choice: z.string().min(1).max(100), scope: z.string().min(1).max(100).optional() }),
]);

export function registerChatRoutes(app: Hono, deps: WebDeps): void {
  const dashboard = new DashboardStore(deps.store.db);
  const rate = deps.chatRate ?? DEFAULT_CHAT_RATE;
  const limiter = new RateLimiter(rate.perMinute, rate.burst);
  const headers = pageHeaders({ noStore: true });
  app.use('/chat', headers, compressText());
  app.use('/chat/*', headers, compressText());
  app.use('/chat/*', rejectCrossSite());

  const newChatId = () => randomBytes(18).toString('base64url');
  const setChatCookie = (c: Context, id: string) =>
    setCookie(c, COOKIE, id, {
      path: '/chat',
      httpOnly: true,
      sameSite: 'Lax',
      secure: secureCookies(deps),
      maxAge: COOKIE_MAX_AGE,
    });
  const chatIdOf = (c: Context): string | undefined => {
    const parsed = chatIdSchema.safeParse(getCookie(c, COOKIE));
    return parsed.success ? parsed.data : undefined;
  };

  /** Pending replies of the chat, marked sent now that this answer carries them. */
  const takePending = (chatId: string): ChatMessage[] => {
    const nowIso = clock(deps).toISOString();
    const rows = deps.store.pendingOutboxFor(WEB_CHANNEL, chatId);
    for (const row of rows) deps.store.markSent(row.id, nowIso);
    return rows.flatMap((r) => toMessage(r.id, r.payload));
  };

  app.get('/chat', (c) => {
    let chatId = chatIdOf(c);
    if (!chatId) {
      chatId = newChatId();
      setChatCookie(c, chatId);
    }
    const rows = dashboard.webChatRecent(chatId, TRANSCRIPT_LENGTH);
    const nowIso = clock(deps).toISOString();
    for (const row of rows) if (row.status === 'pending') deps.store.markSent(row.id, nowIso);
    const error = ERRORS[c.req.query('loi') ?? ''];
    return c.html(chatPage({ messages: rows.flatMap((r) => toMessage(r.id, r.payload)), eventId: randomUUID(), error }).value);
  });

  app.post('/chat/send', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Tin nhắn quá dài.', 413) }), async (c) => {
    const wantsJson = (c.req.header('content-type') ?? '').startsWith('application/json');
    const chatId = chatIdOf(c);
    if (!chatId) {
      // No cookie (first visit in this browser, or cookies blocked): the page sets one.
      return wantsJson ? c.json({ ok: false, error: 'no chat cookie: open /chat first' }, 401) : c.redirect('/chat', 303);
    }
    if (!limiter.take(clientAddress(c), clock(deps).getTime())) {
      return wantsJson ? c.json({ ok: false, error: 'too many messages: wait a moment' }, 429) : c.redirect('/chat?loi=2#end', 303);
    }
    const body = wantsJson ? await c.req.json().catch(() => undefined) : await c.req.parseBody().catch(() => undefined);
    const parsed = sendSchema.safeParse(body);
    if (!parsed.success) {
      return wantsJson ? c.json({ ok: false, error: 'expected {event, text} or {event, choice, scope?}' }, 400) : c.redirect('/chat?loi=1#end', 303);
    }
    const v = parsed.data;
    const input: Input =
      'text' in v ? { kind: 'text', text: v.text } : v.scope ? { kind: 'choice', choiceId: v.choice, scope: v.scope } : { kind: 'choice', choiceId: v.choice };

    const existed = deps.store.findPerson(WEB_CHANNEL, chatId) !== undefined;
    const outcome = deps.service.handle({
      channel: WEB_CHANNEL,
      // Scoped to the chat, so one browser's ids can never shadow another's in the inbox.
      eventId: `${createHash('sha256').update(chatId).digest('base64url').slice(0, 16)}:${v.event}`,
      userKey: chatId,
      chatId,
      input,
      receivedAt: clock(deps),
    });
    // After "xóa dữ liệu" the browser starts over under a new id, so the old transcript is not shown again.
    const deleted = existed && outcome.status === 'processed' && deps.store.findPerson(WEB_CHANNEL, chatId) === undefined;
    const messages = takePending(chatId);
    if (deleted) setChatCookie(c, newChatId());
    if (wantsJson) return c.json({ ok: true, duplicate: outcome.status === 'duplicate', reset: deleted, messages });
    return c.redirect('/chat#end', 303);
  });
}

const ERRORS: Record<string, string> = {
  '1': 'Tin nhắn chưa hợp lệ (trống hoặc quá dài). Anh/Chị vui lòng nhập lại.',
  '2': 'Anh/Chị gửi tin nhắn quá nhanh. Vui lòng chờ một chút rồi gửi lại.',
};

function toMessage(id: number, payload: string): ChatMessage[] {
  let output: Output;
  try {
    output = JSON.parse(payload) as Output;
  } catch {
    return [];
  }
  // The result is also sent as an explained text message; the structured copy is for other channels.
  if (output.kind !== 'message') return [];
  return [{ id, text: output.text, choices: output.choices, scope: output.scope }];
}
