import type { ChannelFactory } from '../../../src/app.ts';
import type { Channel } from '../../../src/channels/channel.ts';
import { SECRET_HEADER, TelegramChannel, type TelegramChannelOptions, WEBHOOK_PATH } from '../../../src/channels/telegram/index.ts';
import { normaliseUpdate } from '../../../src/channels/telegram/normalise.ts';
import { readWebhook } from '../../../src/http/webhook.ts';
import { GroupCommit } from '../../../src/service/groupCommit.ts';
import { readWebhookFromNode } from './nodeWebhookBody.ts';

/**
 * The Telegram channel with the one change group commit asks of it: the webhook awaits
 * `GroupCommit.handle(event)` instead of calling `service.handle(event)`, and answers 200 once the
 * shared COMMIT returned. Everything else (verification, parsing, normalisation, the transport, the
 * outbox) is the real channel's. Used by the benchmark and the group-commit tests to measure and
 * prove the design before it is wired into src/channels. `readBody: 'node'` also reads the body
 * from Node's request (see nodeWebhookBody.ts), the other change the benchmark measures.
 */
export function groupCommitTelegram(
  options: TelegramChannelOptions = {},
  groupOptions: { maxBatch?: number; readBody?: 'web' | 'node' } = {},
): ChannelFactory {
  const read = groupOptions.readBody === 'node' ? readWebhookFromNode : readWebhook;
  return (deps) => {
    const tg = deps.config.telegram;
    if (!tg?.webhookSecret) return undefined;
    const secret = tg.webhookSecret;
    const inner = new TelegramChannel(deps, tg, options);
    const turns = new GroupCommit({ store: deps.store, service: deps.service, ...(groupOptions.maxBatch ? { maxBatch: groupOptions.maxBatch } : {}) });
    const channel: Channel = {
      name: inner.name,
      transport: inner.transport,
      start: () => inner.start(),
      stop: () => inner.stop(),
      health: () => inner.health(),
      registerRoutes(app) {
        app.post(WEBHOOK_PATH, async (c) => {
          const body = await read(c, { secretHeader: SECRET_HEADER, secret, maxBytes: deps.config.maxBodyBytes });
          if (!body.ok) return body.response;
          const n = normaliseUpdate(body.json, { receivedAt: new Date(), lookupToken: (t) => deps.store.telegramCallback(t) });
          if (!n.ok) return c.json({ ok: false, error: 'not a Telegram update' }, 400);
          if (n.event) {
            try {
              const outcome = await turns.handle(n.event);
              if (outcome.status === 'processed') deps.wakeSender();
            } catch {
              // Nothing of this turn was committed: a 500 makes Telegram deliver it again.
              return c.json({ ok: false, error: 'internal error' }, 500);
            }
          }
          return c.json({ ok: true });
        });
      },
    };
    return channel;
  };
}
