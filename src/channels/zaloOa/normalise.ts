import { z } from 'zod';
import type { Input } from '../../engine/types.ts';
import type { InboundEvent } from '../../service/conversation.ts';
import { decodePayload } from './payload.ts';

/**
 * OA webhook events → what the channel does with them. Bodies are parsed with
 * parseJsonKeepingLargeIntegers, and every id is kept as a string: ids are per-OA numbers too large
 * for a JS number.
 *
 *   user_send_text (and a button click, which arrives as the button's payload in message.text)
 *                                  → text, or a choice when the text is one of our payloads
 *   user_send_image|sticker|…      → unsupported (the engine asks for a text answer)
 *   follow / unfollow              → welcome / stop all sending to that person
 *   anything else (echoes of our own messages, delivery and read receipts, anonymous chats) → ignored
 */

export const CHANNEL = 'zalo_oa';

const id = z.union([z.string().trim().min(1).max(64), z.number().int().nonnegative()]).transform(String);
const party = z.looseObject({ id });

const eventSchema = z.looseObject({
  event_name: z.string().min(1).max(100),
  timestamp: z.union([z.string(), z.number()]).transform(String),
  sender: party.optional(),
  follower: party.optional(),
  message: z.looseObject({ msg_id: id.optional(), text: z.string().max(100_000).optional() }).optional(),
});

export type OaEventOutcome =
  | { kind: 'message'; event: InboundEvent; eventName: string }
  | { kind: 'follow' | 'unfollow'; userId: string; eventId: string; eventName: string }
  | { kind: 'ignored'; eventName: string; reason: string }
  | { kind: 'malformed'; problem: string };

/** app_id and timestamp, as strings, for the signature check (which runs before anything else is read). */
export function signedFields(json: unknown): { appId: string | undefined; timestamp: string | undefined } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { appId: undefined, timestamp: undefined };
  const o = json as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined);
  return { appId: str(o.app_id), timestamp: str(o.timestamp) };
}

const USER_MESSAGE = /^user_send_([a-z_]+)$/;
/** One third-party doc names the click event this way; whatever its name, its text is the payload. */
const CLICK_EVENTS = new Set(['user_click_button']);

export function normaliseOaEvent(
  json: unknown,
  receivedAt: Date,
  lookupPayload: (token: string) => { scope: string; choiceId: string } | undefined,
): OaEventOutcome {
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) return { kind: 'malformed', problem: 'not an OA event (event_name, timestamp)' };
  const e = parsed.data;
  const eventName = e.event_name;

  if (eventName === 'follow' || eventName === 'unfollow') {
    const userId = e.follower?.id ?? e.sender?.id;
    if (!userId) return { kind: 'malformed', problem: `${eventName} without follower.id` };
    return { kind: eventName, userId, eventId: `${eventName}:${userId}:${e.timestamp}`, eventName };
  }

  const what = USER_MESSAGE.exec(eventName)?.[1];
  const isClick = CLICK_EVENTS.has(eventName);
  if (!what && !isClick) return { kind: 'ignored', eventName, reason: 'not a message from a person' };
  const userId = e.sender?.id;
  if (!userId) return { kind: 'malformed', problem: 'message without sender.id' };
  const eventId = e.message?.msg_id ?? `${eventName}:${userId}:${e.timestamp}`;

  let input: Input;
  if (what === 'text' || isClick) {
    const text = e.message?.text;
    if (text === undefined) return { kind: 'malformed', problem: 'text event without message.text' };
    const target = decodePayload(text, lookupPayload);
    input = target
      ? target.scope === undefined
        ? { kind: 'choice', choiceId: target.choiceId }
        : { kind: 'choice', choiceId: target.choiceId, scope: target.scope }
      : { kind: 'text', text: text.normalize('NFC') };
  } else {
    input = { kind: 'unsupported', what: what! };
  }
  return { kind: 'message', eventName, event: { channel: CHANNEL, eventId, userKey: userId, chatId: userId, input, receivedAt } };
}
