import { z } from 'zod';
import type { InboundEvent } from '../../service/conversation.ts';

/**
 * Zalo Bot Platform updates → InboundEvent. The same code reads webhook bodies and getUpdates
 * results. The documented webhook body is the envelope `{ok: true, result: {event_name, message}}`;
 * getUpdates' `result` and (per OpenClaw's receiver) some webhook deliveries are the bare
 * `{event_name, message}`, so both are accepted.
 */

export const CHANNEL = 'zalo';

const id = z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative()]).transform(String);

const updateSchema = z.looseObject({ event_name: z.string().min(1).max(200), message: z.unknown().optional() });

const messageSchema = z.looseObject({
  message_id: id.optional(),
  from: z.looseObject({ id, is_bot: z.boolean().optional() }),
  chat: z.looseObject({ id, chat_type: z.string().optional() }),
  text: z.string().max(100_000).optional(),
  date: z.number().optional(),
});

/** `message.text.received`, `message.image.received` … : `<what>` is the middle part. */
const MESSAGE_EVENT = /^message\.([a-z0-9_]+)\.received$/;

export type ZaloUpdateOutcome =
  | { kind: 'event'; event: InboundEvent; eventName: string }
  /** A valid update the bot has nothing to do with (other event types, messages from bots). */
  | { kind: 'ignored'; eventName: string; reason: string }
  /** Not a Bot Platform update: the webhook answers 400. */
  | { kind: 'malformed'; problem: string };

/** Reads a webhook body or a getUpdates result. Never throws. */
export function normaliseUpdate(payload: unknown, receivedAt: Date): ZaloUpdateOutcome {
  const update = unwrap(payload);
  if (!update) return { kind: 'malformed', problem: 'not a Zalo update' };
  const parsed = updateSchema.safeParse(update);
  if (!parsed.success) return { kind: 'malformed', problem: 'missing event_name' };
  const eventName = parsed.data.event_name;

  const what = MESSAGE_EVENT.exec(eventName)?.[1];
  if (!what) return { kind: 'ignored', eventName, reason: 'not a message event' };

  const message = messageSchema.safeParse(parsed.data.message);
  if (!message.success) return { kind: 'malformed', problem: 'message lacks from.id or chat.id' };
  const m = message.data;
  if (m.from.is_bot === true) return { kind: 'ignored', eventName, reason: 'message from a bot' };

  // Protected users' messages arrive as message.unsupported.received without content; the docs
  // show a message_id on every message, but fall back to the timestamp rather than drop the event.
  const eventId = m.message_id ?? (m.date !== undefined ? `${eventName}:${m.chat.id}:${m.date}` : undefined);
  if (!eventId) return { kind: 'malformed', problem: 'message has no message_id' };

  let input: InboundEvent['input'];
  if (what === 'text') {
    if (m.text === undefined) return { kind: 'malformed', problem: 'text message without text' };
    input = { kind: 'text', text: m.text.normalize('NFC') };
  } else {
    input = { kind: 'unsupported', what };
  }
  return {
    kind: 'event',
    eventName,
    event: { channel: CHANNEL, eventId, userKey: m.from.id, chatId: m.chat.id, input, receivedAt },
  };
}

function unwrap(payload: unknown): Record<string, unknown> | undefined {
  if (!isRecord(payload)) return undefined;
  if ('result' in payload && 'ok' in payload) {
    if (payload.ok !== true || !isRecord(payload.result)) return undefined;
    return payload.result;
  }
  return payload;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
