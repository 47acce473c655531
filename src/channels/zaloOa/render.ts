import type { Output } from '../../engine/types.ts';
import { CHOICE_HINT, splitText } from '../zalo/render.ts';
import { encodePayload } from './payload.ts';

/**
 * One engine output → the consultation messages that show it on a Zalo OA. Choices become
 * `oa.query.hide` buttons (up to OA_MAX_BUTTONS, on the last part); more options become numbered
 * lines, answered by typing, like on the Bot Platform. Typed answers are accepted either way: the
 * engine's parser reads numbers, labels and labels without diacritics. Pure: no network, no store.
 */

/** Commonly assumed limit of an OA text message; not found in a reliable source (unverified). */
export const OA_MAX_TEXT = 2000;
/** Third-party guides show 4–5 buttons per message; 5 is the most we send. */
export const OA_MAX_BUTTONS = 5;
/** Button titles up to 100 characters (eTelecom; approximate). */
const MAX_TITLE = 100;

export const REMINDER_QUESTION = 'Đơn vị của Anh/Chị đã nộp chưa? Anh/Chị chọn một nút bên dưới hoặc trả lời bằng tin nhắn.';
export const ANNOUNCEMENT_QUESTION = 'Anh/Chị có cần bot hỗ trợ gì thêm không?';

export interface OaButton {
  title: string;
  type: 'oa.query.hide';
  payload: string;
}

export interface OaMessage {
  text: string;
  attachment?: { type: 'template'; payload: { buttons: OaButton[] } };
}

export interface RenderedOa {
  messages: OaMessage[];
  /** Long payloads replaced by a token: saved before the message is sent. */
  tokens: Array<{ token: string; scope: string; choiceId: string }>;
}

export interface RenderOptions {
  /**
   * A reminder must end with a question: the person's answer is what reopens the messaging window
   * for the next one.
   */
  reminder?: boolean;
  maxButtons?: number;
  maxText?: number;
}

export function renderOaOutput(output: Output, opts: RenderOptions = {}): RenderedOa {
  if (output.kind !== 'message') return { messages: [], tokens: [] };
  const maxButtons = opts.maxButtons ?? OA_MAX_BUTTONS;
  const choices = output.choices ?? [];
  let text = output.text.trimEnd();
  if (opts.reminder && !text.endsWith('?')) {
    text = `${text}\n\n${choices.some((c) => c.id === 'done') ? REMINDER_QUESTION : ANNOUNCEMENT_QUESTION}`;
  }
  const tokens: RenderedOa['tokens'] = [];
  let buttons: OaButton[] | undefined;
  if (choices.length > maxButtons) {
    text = `${text}\n\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}\n${CHOICE_HINT}`;
  } else if (choices.length > 0) {
    const cut = choices.some((c) => c.label.length > MAX_TITLE);
    // A cut title loses words: the full options are listed in the text and the buttons carry numbers.
    if (cut) text = `${text}\n\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}`;
    buttons = choices.map((c, i) => {
      const encoded = encodePayload(output.scope, c.id);
      if (encoded.token) tokens.push(encoded.token);
      const title = cut ? truncate(`${i + 1}. ${c.label}`, MAX_TITLE) : c.label;
      return { title, type: 'oa.query.hide', payload: encoded.payload };
    });
  }
  const parts = splitText(text, opts.maxText ?? OA_MAX_TEXT);
  if (parts.length === 0) parts.push('…');
  const messages: OaMessage[] = parts.map((t) => ({ text: t }));
  if (buttons) messages[messages.length - 1]!.attachment = { type: 'template', payload: { buttons } };
  return { messages, tokens };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
