import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Channel } from './channels/channel.ts';
import type { Config } from './config.ts';
import { loadFlowsOrThrow } from './flow/load.ts';
import type { Flow } from './flow/schema.ts';
import { createHttpApp } from './http/app.ts';
import type { Logger } from './log.ts';
import { OutboxSender } from './outbox/sender.ts';
import { ConversationService } from './service/conversation.ts';
import { Store } from './store/store.ts';

export interface Bot {
  config: Config;
  store: Store;
  flows: Flow[];
  service: ConversationService;
  sender: OutboxSender;
  app: Hono;
  channels: Channel[];
  /** The port actually bound (PORT=0 picks a free one). */
  port: number;
  stop(): Promise<void>;
}

export interface ChannelFactoryDeps {
  config: Config;
  store: Store;
  service: ConversationService;
  logger: Logger;
  /** Wakes the outbox sender after a committed turn. */
  wakeSender: () => void;
}

export type ChannelFactory = (deps: ChannelFactoryDeps) => Channel | undefined;

/** Assembles and starts the bot: store, flows, conversation service, outbox sender, HTTP server, channels. */
export async function startBot(config: Config, logger: Logger, channelFactories: ChannelFactory[] = []): Promise<Bot> {
  const flows = loadFlowsOrThrow(config.flowsDir);
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  const service = new ConversationService({ store, flows });
  let sender: OutboxSender | undefined;
  const deps: ChannelFactoryDeps = { config, store, service, logger, wakeSender: () => sender?.wake() };
  const channels = channelFactories.map((f) => f(deps)).filter((c): c is Channel => c !== undefined);
  sender = new OutboxSender({ store, transports: channels.map((c) => c.transport), logger, pollMs: config.outboxPollMs });

  const app = createHttpApp({
    logger,
    health: () => {
      let db = 'ok';
      try {
        store.ping();
      } catch {
        db = 'error';
      }
      return {
        status: db === 'ok' ? 'ok' : 'degraded',
        db,
        flows: flows.map((f) => `${f.id}@${f.version}`),
        outbox: store.outboxCounts(),
        channels: Object.fromEntries(channels.map((c) => [c.name, c.health()])),
      };
    },
  });
  for (const c of channels) c.registerRoutes(app);

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  sender.start();
  for (const c of channels) await c.start();
  logger.info({ port, host: config.host, flows: flows.length, channels: channels.map((c) => c.name) }, 'xhht-bot started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of channels) await c.stop();
      await sender.stop();
      store.close();
      logger.info('xhht-bot stopped');
    })());

  return { config, store, flows, service, sender, app, channels, port, stop };
}
