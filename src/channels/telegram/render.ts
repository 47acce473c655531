import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { z } from 'zod';
import { encodeCallbackData } from './callbackData.ts';

/** Outbox payload → the sendMessage calls that show it on Telegram. Pure: no network, no store. */

/** Telegram's limit for a message text (counted in UTF-16 code units, like String.length). */
export const MAX_TEXT_LENGTH = 4096;

/** Labels longer than this are cut off on a phone's button, so the options are also listed in the text. */
const LONG_LABEL = 30;
/** Up to this many short labels (≤ SHORT_LABEL chars) share one row: "Có | Không". */
const ROW_MAX = 3;
const SHORT_LABEL = 12;

const choiceSchema = z.object({ id: z.string().min(1), label: z.string().min(1) });

/** The outbox payload as stored (an engine Output); read back defensively. */
export const payloadSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    text: z.string(),
    choices: z.array(choiceSchema).optional(),
    scope: z.string().optional(),
  }),
  z.object({ kind: z.literal('result'), result: z.unknown() }),
]);
export type TelegramPayload = z.output<typeof payloadSchema>;

export interface RenderedPart {
  text: string;
  /** Only on the last part of a split message. */
  replyMarkup?: InlineKeyboardMarkup;
}

export interface RenderedMessage {
  parts: RenderedPart[];
  /** Long callback data replaced by a token: these must be saved before the message is sent. */
  tokens: Array<{ token: string; scope: string; choiceId: string }>;
}

export function renderMessage(payload: { text: string; choices?: Array<{ id: string; label: string }> | undefined; scope?: string | undefined }): RenderedMessage {
  const choices = payload.choices ?? [];
  let text = payload.text;
  const tokens: RenderedMessage['tokens'] = [];
  let replyMarkup: InlineKeyboardMarkup | undefined;

  if (choices.length > 0) {
    const listed = choices.some((c) => c.label.length > LONG_LABEL);
    if (listed) text = `${text}\n\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}`;
    const buttons: InlineKeyboardButton[] = choices.map((c, i) => {
      const encoded = encodeCallbackData(payload.scope, c.id);
      if (encoded.token) tokens.push(encoded.token);
      return { text: listed ? `${i + 1}. ${c.label}` : c.label, callback_data: encoded.data };
    });
    const oneRow = choices.length <= ROW_MAX && choices.every((c) => c.label.length <= SHORT_LABEL);
    replyMarkup = { inline_keyboard: oneRow ? [buttons] : buttons.map((b) => [b]) };
  }

  const texts = splitText(text);
  const parts: RenderedPart[] = texts.map((t) => ({ text: t }));
  if (replyMarkup) parts[parts.length - 1]!.replyMarkup = replyMarkup;
  return { parts, tokens };
}

/**
 * Splits a text into parts of at most `max` characters, at line boundaries when possible, then at
 * spaces, then anywhere (never inside a surrogate pair). Blank parts are dropped; never returns [].
 */
export function splitText(text: string, max = MAX_TEXT_LENGTH): string[] {
  if (text.trim() === '') return ['…'];
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let current: string | undefined;
  for (const line of text.split('\n')) {
    for (const piece of line.length > max ? hardSplit(line, max) : [line]) {
      if (current === undefined) {
        current = piece;
      } else if (current.length + 1 + piece.length <= max) {
        current = `${current}\n${piece}`;
      } else {
        parts.push(current);
        current = piece;
      }
    }
  }
  if (current !== undefined) parts.push(current);
  const kept = parts.map((p) => p.replace(/^\n+/u, '').replace(/\s+$/u, '')).filter((p) => p.trim() !== '');
  return kept.length > 0 ? kept : ['…'];
}

function hardSplit(line: string, max: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut <= 0) {
      cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
    }
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  out.push(rest);
  return out;
}
