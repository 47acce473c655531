import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from '../lib/children.ts';

/**
 * A Telegram Bot API stand-in that answers every call at once with a plausible result and keeps
 * nothing but counters, so it costs the bench as little as possible. Both the bot under test and
 * the peer send their replies here.
 */

const BOT = { id: 123456, is_bot: true, first_name: 'Trợ lý XHHT', username: 'xhht_test_bot' };
let nextMessageId = 1;
const counts: Record<string, number> = {};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const method = (req.url ?? '').split('?')[0]!.split('/').pop() ?? '';
    counts[method] = (counts[method] ?? 0) + 1;
    let result: unknown = true;
    if (method === 'sendMessage') {
      let chatId = 0;
      try {
        chatId = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chat_id?: unknown }).chat_id);
      } catch {
        // grammY only sends JSON for text messages.
      }
      result = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, text: '.' };
    } else if (method === 'getMe') {
      result = BOT;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, result }));
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', apiRoot: `http://127.0.0.1:${port}` });
});

serveParent({
  stats: () => ({ counts: { ...counts } }),
  stop: () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
});
