import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_RATE } from '../../src/web/chat/chatRoutes.ts';
import { Client, makeWebApp, type WebTestApp } from './webApp.ts';

interface Reply {
  id: number;
  text: string;
  choices?: Array<{ id: string; label: string }>;
  scope?: string;
}

async function sendJson(c: Client, body: Record<string, unknown>) {
  return c.request('/chat/send', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

async function say(c: Client, body: Record<string, unknown>): Promise<Reply[]> {
  const res = await sendJson(c, { event: randomUUID(), ...body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Reply[] }).messages;
}

/** The buttons of the page's active prompt, as a browser without JavaScript would post them. */
function activePrompt(html: string): { event: string; scope?: string; choices: string[] } | undefined {
  const form = /<form method="post" action="\/chat\/send" class="choices" data-chat-form>([\s\S]*?)<\/form>/.exec(html)?.[1];
  if (!form) return undefined;
  const event = /name="event" value="([^"]+)"/.exec(form)![1]!;
  const scope = /name="scope" value="([^"]+)"/.exec(form)?.[1];
  const choices = [...form.matchAll(/name="choice" value="([^"]+)"/g)].map((m) => m[1]!);
  return { event, ...(scope ? { scope } : {}), choices };
}

function webOutbox(t: WebTestApp) {
  return t.store.outboxRows('web');
}

describe('web chat page', () => {
  it('gives a new visitor a random id in an HttpOnly, SameSite=Lax cookie and shows the start button', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    const res = await c.get('/chat');
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('xhht_chat='))!;
    expect(cookie).toMatch(/^xhht_chat=[A-Za-z0-9_-]{24};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/chat/);
    const html = await res.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('value="bắt đầu">Bắt đầu</button>');
    expect(html).toContain('<script src="/assets/chat.js" defer></script>');
    // The same browser keeps its id.
    const again = await c.get('/chat');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('works without JavaScript: form posts and redirects through a whole self-check', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    let html = await (await c.get('/chat')).text();
    const start = await c.post('/chat/send', { event: /name="event" value="([^"]+)"/.exec(html)![1]!, text: 'bắt đầu' });
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/chat#end');
    let answered = 0;
    for (let turn = 0; turn < 40; turn++) {
      html = await (await c.get('/chat')).text();
      if (html.includes('KẾT QUẢ')) break;
      const prompt = activePrompt(html);
      if (!prompt) {
        // A question answered by typing (the commune): the text box of the page.
        const event = /class="compose" data-chat-form>\s*<input type="hidden" name="event" value="([^"]+)"/.exec(html)![1]!;
        expect((await c.post('/chat/send', { event, text: 'Phường Trung Tâm' })).status).toBe(303);
        continue;
      }
      // Agree, then the first option of each question, then "Gửi".
      const choice = prompt!.choices.includes('agree') ? 'agree' : prompt!.choices.includes('submit') ? 'submit' : prompt!.choices[0]!;
      const form: Record<string, string> = { event: prompt!.event, choice };
      if (prompt!.scope) form.scope = prompt!.scope;
      expect((await c.post('/chat/send', form)).status).toBe(303);
      answered++;
    }
    expect(html).toContain('KẾT QUẢ — Tự đánh giá &quot;Công dân học tập&quot;');
    expect(answered).toBeGreaterThan(10);
    const person = t.store.findPerson('web', c.cookies.get('xhht_chat')!)!;
    expect(t.store.responsesOf(person.id).map((r) => r.status)).toEqual(['submitted']);
    // Every reply shown was marked sent: the web chat is its own sender.
    expect(webOutbox(t).every((r) => r.status === 'sent')).toBe(true);
  });

  it('a double submit of the same form is processed once (the inbox drops the second)', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    const event = randomUUID();
    await c.post('/chat/send', { event, text: 'bắt đầu' });
    const before = webOutbox(t).length;
    expect(before).toBeGreaterThan(0);
    await c.post('/chat/send', { event, text: 'bắt đầu' });
    expect(webOutbox(t).length).toBe(before);
    const dup = await sendJson(c, { event, text: 'bắt đầu' });
    expect(await dup.json()).toMatchObject({ ok: true, duplicate: true, messages: [] });
  });

  it('two browsers are two people, even with the same event id', async () => {
    const t = makeWebApp();
    const a = new Client(t.app);
    const b = new Client(t.app);
    await a.get('/chat');
    await b.get('/chat');
    const event = randomUUID();
    expect((await (await sendJson(a, { event, text: 'bắt đầu' })).json()) as object).toMatchObject({ duplicate: false });
    expect((await (await sendJson(b, { event, text: 'bắt đầu' })).json()) as object).toMatchObject({ duplicate: false });
    expect(new Set(webOutbox(t).map((r) => r.chat_id)).size).toBe(2);
  });
});

describe('web chat with the script (JSON)', () => {
  it('completes a self-check, each reply carrying its buttons', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    let replies = await say(c, { text: 'bắt đầu' });
    expect(replies.at(-1)).toMatchObject({ scope: 'consent', choices: [{ id: 'agree' }, { id: 'decline' }] });
    replies = await say(c, { choice: 'agree', scope: 'consent' });
    for (let i = 0; i < 30 && replies.at(-1)?.scope !== 'confirm'; i++) {
      const last = replies.at(-1)!;
      replies = last.choices ? await say(c, { choice: last.choices.at(-1)!.id, scope: last.scope }) : await say(c, { text: 'Xã Phú Thạnh' });
    }
    replies = await say(c, { choice: 'submit', scope: 'confirm' });
    expect(replies.map((r) => r.text).join('\n')).toContain('KẾT QUẢ');
    // A typed answer works too: "xem kết quả" shows the result again.
    expect((await say(c, { text: 'xem kết quả' }))[0]!.text).toContain('KẾT QUẢ');
  });

  it('rejects malformed messages (zod) without touching the conversation', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    for (const body of [
      { event: randomUUID(), text: '' },
      { event: randomUUID(), text: '   ' },
      { event: 'not-a-uuid', text: 'bắt đầu' },
      { text: 'bắt đầu' },
      { event: randomUUID(), text: 'x'.repeat(2001) },
      { event: randomUUID(), choice: '' },
      { event: randomUUID(), text: 'bắt đầu', extra: true },
      { event: randomUUID(), text: 42 },
    ]) {
      expect((await sendJson(c, body)).status, JSON.stringify(body).slice(0, 60)).toBe(400);
    }
    const notJson = await c.request('/chat/send', { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const form = await c.post('/chat/send', { event: randomUUID(), text: '' });
    expect(form.headers.get('location')).toBe('/chat?loi=1#end');
    expect(await (await c.get('/chat?loi=1')).text()).toContain('Tin nhắn chưa hợp lệ');
    expect(webOutbox(t)).toHaveLength(0);
  });

  it('asks for the page first when the cookie is missing', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    expect((await sendJson(c, { event: randomUUID(), text: 'bắt đầu' })).status).toBe(401);
    const form = await c.post('/chat/send', { event: randomUUID(), text: 'bắt đầu' });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/chat');
    expect(webOutbox(t)).toHaveLength(0);
  });

  it('escapes what the bot repeats of the user', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    await say(c, { text: 'bắt đầu' });
    await say(c, { choice: 'agree', scope: 'consent' });
    await say(c, { text: '/<img src=x onerror=alert(1)>' });
    const html = await (await c.get('/chat')).text();
    expect(html).toContain('&lt;img');
    expect(html).not.toContain('<img');
  });

  it('after "xóa dữ liệu" the browser starts over under a new id', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    const first = c.cookies.get('xhht_chat')!;
    await say(c, { text: 'bắt đầu' });
    await say(c, { choice: 'agree', scope: 'consent' });
    expect(t.store.findPerson('web', first)).toBeDefined();
    await say(c, { text: 'xóa dữ liệu' });
    const res = await sendJson(c, { event: randomUUID(), choice: 'yes', scope: 'delete' });
    const body = (await res.json()) as { reset: boolean; messages: Reply[] };
    expect(body.reset).toBe(true);
    expect(body.messages[0]!.text).toContain('Đã xóa toàn bộ dữ liệu');
    expect(t.store.findPerson('web', first)).toBeUndefined();
    expect(c.cookies.get('xhht_chat')).not.toBe(first);
    expect(await (await c.get('/chat')).text()).toContain('value="bắt đầu">Bắt đầu</button>');
  });

  it('slows down a client that sends too fast, per address, and lets it go on after a pause', async () => {
    const t = makeWebApp();
    const c = new Client(t.app, '198.51.100.7');
    await c.get('/chat');
    const codes: number[] = [];
    for (let i = 0; i < DEFAULT_CHAT_RATE.burst + 2; i++) codes.push((await sendJson(c, { event: randomUUID(), text: 'trợ giúp' })).status);
    expect(codes.slice(0, DEFAULT_CHAT_RATE.burst).every((s) => s === 200)).toBe(true);
    expect(codes.slice(DEFAULT_CHAT_RATE.burst)).toEqual([429, 429]);
    const form = await c.post('/chat/send', { event: randomUUID(), text: 'trợ giúp' });
    expect(form.headers.get('location')).toBe('/chat?loi=2#end');
    expect(await (await c.get('/chat?loi=2')).text()).toContain('gửi tin nhắn quá nhanh');
    // Another address is not affected; a pause refills the bucket.
    const other = new Client(t.app, '198.51.100.8');
    await other.get('/chat');
    expect((await sendJson(other, { event: randomUUID(), text: 'trợ giúp' })).status).toBe(200);
    t.clock.now = new Date(t.clock.now.getTime() + 5_000);
    expect((await sendJson(c, { event: randomUUID(), text: 'trợ giúp' })).status).toBe(200);
  });

  it('refuses a post the browser marks as cross-site', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    await c.get('/chat');
    const res = await c.request('/chat/send', {
      method: 'POST',
      body: JSON.stringify({ event: randomUUID(), text: 'bắt đầu' }),
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(403);
    expect(webOutbox(t)).toHaveLength(0);
  });
});

describe('assets', () => {
  it('serves the script and stylesheets from our own routes, with an ETag', async () => {
    const t = makeWebApp();
    const c = new Client(t.app);
    for (const [path, type] of [
      ['/assets/chat.js', 'text/javascript; charset=utf-8'],
      ['/assets/chat.css', 'text/css; charset=utf-8'],
      ['/assets/admin.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await c.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      const etag = res.headers.get('etag')!;
      const cached = await c.request(path, { headers: { 'if-none-match': etag } });
      expect(cached.status, path).toBe(304);
    }
    const zipped = await c.request('/assets/chat.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    const page = await c.request('/chat', { headers: { 'accept-encoding': 'gzip' } });
    expect(page.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await page.arrayBuffer())).toString('utf8')).toContain('<html lang="vi">');
    expect((await c.get('/assets/../package.json')).status).toBe(404);
    expect((await c.get('/assets/other.js')).status).toBe(404);
  });
});
