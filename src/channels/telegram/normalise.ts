import { z } from 'zod';
import type { InboundEvent } from '../../service/conversation.ts';
import { type CallbackTarget, decodeCallbackData, UNKNOWN_SCOPE } from './callbackData.ts';

/** Telegram Update (JSON) → at most one InboundEvent. Only the fields we read are validated. */

export const TELEGRAM_CHANNEL = 'telegram';

/** The update kinds the bot asks Telegram for (setWebhook / getUpdates allowed_updates). */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

const int = z.number().int().safe();
const userSchema = z.object({ id: int, is_bot: z.boolean() });
const chatSchema = z.object({ id: int, type: z.string() });

const updateHeadSchema = z.object({ update_id: int.nonnegative() });

const messageSchema = z.object({
  message_id: int,
  chat: chatSchema,
  from: userSchema.optional(),
  text: z.string().optional(),
});

const callbackQuerySchema = z.object({
  id: z.string().min(1),
  from: userSchema,
  message: z.object({ message_id: int, chat: chatSchema }).optional(),
  data: z.string().optional(),
});

/** Message contents the flows cannot read; anything else without text is a service message. */
const UNSUPPORTED_CONTENT = [
  'sticker',
  'photo',
  'voice',
  'video',
  'video_note',
  'audio',
  'document',
  'animation',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
  'game',
  'story',
  'paid_media',
  'checklist',
] as const;

export type NormalisedUpdate =
  /** Not a Telegram update at all: the webhook answers 400. */
  | { ok: false; reason: string }
  | {
      ok: true;
      updateId: number;
      /** Absent when the update is ignored (see `ignored`). */
      event?: InboundEvent;
      /** Callback queries are answered even when ignored, so the button stops spinning. */
      callbackQueryId?: string;
      /** Why nothing is handed to the conversation service (for debug logs; never personal data). */
      ignored?: string;
    };

export interface NormaliseOptions {
  receivedAt: Date;
  /** Resolves a hashed callback token (`h|…`) to its scope and choice. */
  lookupToken: (token: string) => { scope: string; choiceId: string } | undefined;
}

export function normaliseUpdate(json: unknown, opts: NormaliseOptions): NormalisedUpdate {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'not an object' };
  const head = updateHeadSchema.safeParse(json);
  if (!head.success) return { ok: false, reason: 'no integer update_id' };
  const updateId = head.data.update_id;
  const raw = json as Record<string, unknown>;

  if (raw.message !== undefined) {
    const parsed = messageSchema.safeParse(raw.message);
    // A 400 would make Telegram redeliver it for hours and hold back that chat's later updates.
    if (!parsed.success) return { ok: true, updateId, ignored: 'unreadable message' };
    const m = parsed.data;
    if (m.chat.type !== 'private') return { ok: true, updateId, ignored: 'not a private chat' };
    if (!m.from || m.from.is_bot) return { ok: true, updateId, ignored: 'no human sender' };
    if (m.text !== undefined) return { ok: true, updateId, event: eventOf(opts, updateId, m.chat.id, m.from.id, { kind: 'text', text: m.text }) };
    const content = raw.message as Record<string, unknown>;
    const what = UNSUPPORTED_CONTENT.find((k) => content[k] !== undefined);
    if (what) return { ok: true, updateId, event: eventOf(opts, updateId, m.chat.id, m.from.id, { kind: 'unsupported', what }) };
    return { ok: true, updateId, ignored: 'service message' };
  }

  if (raw.callback_query !== undefined) {
    const parsed = callbackQuerySchema.safeParse(raw.callback_query);
    if (!parsed.success) {
      const id = (raw.callback_query as { id?: unknown } | null)?.id;
      return typeof id === 'string' && id !== ''
        ? { ok: true, updateId, callbackQueryId: id, ignored: 'unreadable callback query' }
        : { ok: true, updateId, ignored: 'unreadable callback query' };
    }
    const q = parsed.data;
    const callbackQueryId = q.id;
    // Inline-mode messages (no `message`) and game buttons (no `data`) are not ours.
    if (!q.message) return { ok: true, updateId, callbackQueryId, ignored: 'callback without message' };
    if (q.message.chat.type !== 'private') return { ok: true, updateId, callbackQueryId, ignored: 'not a private chat' };
    if (q.data === undefined || q.from.is_bot) return { ok: true, updateId, callbackQueryId, ignored: 'callback without data' };
    const target: CallbackTarget = decodeCallbackData(q.data, opts.lookupToken) ?? { scope: UNKNOWN_SCOPE, choiceId: '' };
    const input: InboundEvent['input'] =
      target.scope === undefined ? { kind: 'choice', choiceId: target.choiceId } : { kind: 'choice', choiceId: target.choiceId, scope: target.scope };
    return { ok: true, updateId, callbackQueryId, event: eventOf(opts, updateId, q.message.chat.id, q.from.id, input) };
  }

  const kind = Object.keys(raw).find((k) => k !== 'update_id') ?? 'empty';
  return { ok: true, updateId, ignored: kind.length <= 40 ? kind : 'unknown kind' };
}

/** A module function, not a closure per update (tsx names each closure it makes). */
function eventOf(opts: NormaliseOptions, updateId: number, chatId: number, userId: number, input: InboundEvent['input']): InboundEvent {
  return {
    channel: TELEGRAM_CHANNEL,
    eventId: String(updateId),
    userKey: String(userId),
    chatId: String(chatId),
    input,
    receivedAt: opts.receivedAt,
  };
}
