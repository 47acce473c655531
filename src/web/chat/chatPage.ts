import type { Choice } from '../../engine/types.ts';
import { type Html, html } from '../html.ts';

/** The web chat page: server-rendered, usable with plain form posts; /assets/chat.js enhances it. */

export interface ChatMessage {
  id: number;
  text: string;
  choices?: Choice[] | undefined;
  scope?: string | undefined;
}

export const QUICK_COMMANDS: Array<{ text: string; label: string }> = [
  { text: 'quay lại', label: 'Quay lại' },
  { text: 'xem lại', label: 'Xem lại' },
  { text: 'trợ giúp', label: 'Trợ giúp' },
];

export function chatPage(p: { messages: ChatMessage[]; eventId: string; error?: string | undefined }): Html {
  const lastWithChoices = [...p.messages].reverse().find((m) => m.choices && m.choices.length > 0);
  const active = lastWithChoices && lastWithChoices === p.messages[p.messages.length - 1] ? lastWithChoices : undefined;
  return html`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trò chuyện thử — Trợ lý xã hội học tập</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/chat.css">
<script src="/assets/chat.js" defer></script>
</head>
<body>
<header class="top"><h1>Trợ lý xã hội học tập</h1><p>Tự đánh giá "Công dân học tập" ngay trên trình duyệt</p></header>
<main id="chat" class="chat">
<ol id="log" class="log" aria-live="polite">
${p.messages.length === 0 ? intro(p.eventId) : p.messages.map((m) => messageItem(m, m === active, p.eventId))}
</ol>
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<form method="post" action="/chat/send" class="quick" data-chat-form>
<input type="hidden" name="event" value="${p.eventId}">
${QUICK_COMMANDS.map((q) => html`<button type="submit" name="text" value="${q.text}" class="link">${q.label}</button>`)}
</form>
<form method="post" action="/chat/send" class="compose" data-chat-form>
<input type="hidden" name="event" value="${p.eventId}">
<label for="text" class="visually-hidden">Tin nhắn</label>
<input id="text" name="text" type="text" maxlength="2000" autocomplete="off" required placeholder="Nhập câu trả lời hoặc lệnh (ví dụ: trợ giúp)">
<button type="submit">Gửi</button>
</form>
<p id="end" class="note">Dữ liệu trò chuyện gắn với trình duyệt này qua một cookie ngẫu nhiên. Gõ "xóa dữ liệu" để xóa toàn bộ câu trả lời.</p>
</main>
</body>
</html>`;
}

function intro(eventId: string): Html {
  return html`<li class="msg bot intro">
<p class="text">Xin chào Anh/Chị! Đây là bản dùng thử trên trình duyệt của trợ lý hưởng ứng phong trào "Cả nước thi đua xây dựng xã hội học tập". Bấm "Bắt đầu" để tự đánh giá theo bộ tiêu chí "Công dân học tập".</p>
<form method="post" action="/chat/send" class="choices" data-chat-form>
<input type="hidden" name="event" value="${eventId}">
<button type="submit" name="text" value="bắt đầu">Bắt đầu</button>
</form>
</li>`;
}

export function messageItem(m: ChatMessage, withButtons: boolean, eventId: string): Html {
  const choices = m.choices ?? [];
  return html`<li class="msg bot" data-id="${m.id}">
<p class="text">${m.text}</p>
${
  choices.length === 0
    ? ''
    : withButtons
      ? html`<form method="post" action="/chat/send" class="choices" data-chat-form>
<input type="hidden" name="event" value="${eventId}">
${m.scope ? html`<input type="hidden" name="scope" value="${m.scope}">` : ''}
${choices.map((c) => html`<button type="submit" name="choice" value="${c.id}">${c.label}</button>`)}
</form>`
      : html`<ul class="old-choices">${choices.map((c) => html`<li>${c.label}</li>`)}</ul>`
}
</li>`;
}
