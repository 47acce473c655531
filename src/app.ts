import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Hono } from 'hono';
import type { Channel } from './channels/channel.ts';
import type { Config } from './config.ts';
import { loadFlowsOrThrow } from './flow/load.ts';
import type { Flow } from './flow/schema.ts';
import { createHttpApp } from './http/app.ts';
import { startHttpServer } from './http/server.ts';
import type { Logger } from './log.ts';
import { OutboxSender } from './outbox/sender.ts';
import { createHealthReport } from './ops/health.ts';
import { InboxSweeper } from './ops/inboxSweep.ts';
import { stopAccepting, withDeadline } from './ops/shutdown.ts';
import { ConversationService, type InboundEvent, type InboundOutcome, type Interceptor } from './service/conversation.ts';
import { GroupCommit } from './service/groupCommit.ts';
import { TurnWorker } from './service/turnWorker/client.ts';
import { accessForPerson, communesInForce } from './units/access.ts';
import { channelLinkInterceptor, createReminderRouting } from './channels/zaloOa/index.ts';
import { exportResponses } from './export/exportResponses.ts';
import { createReminders } from './reminders/setup.ts';
import { seedReferenceData } from './units/importUnits.ts';
import { registerWebRoutes, secretariatInterceptor } from './web/index.ts';
import { registrationInterceptor } from './units/registration.ts';
import { Store } from './store/store.ts';

export interface Bot {
  config: Config;
  store: Store;
  flows: Flow[];
  service: ConversationService;
  sender: OutboxSender;
  app: Hono;
  channels: Channel[];
  /** Where webhook turns run when TURN_WORKER is on and a channel serves a webhook. */
  turnWorker: TurnWorker | undefined;
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
  /**
   * The webhook path to the service: the turns that arrive together share one COMMIT (group
   * commit); the promise settles only after that COMMIT returned, so a 200 still means durable.
   */
  commitTurn: (event: InboundEvent) => Promise<{ status: InboundOutcome['status'] }>;
}

export type ChannelFactory = (deps: ChannelFactoryDeps) => Channel | undefined;

/** The conversation service with everything the domain adds to the engine: unit flows, registration. */
export function createConversationService(store: Store, flows: Flow[], interceptors: Interceptor[] = []): ConversationService {
  return new ConversationService({
    store,
    flows,
    accessFor: (person) => accessForPerson(store, flows, person),
    communes: communesInForce(store, new Date()),
    interceptors: [registrationInterceptor, ...interceptors],
  });
}

/** The conversation service wired with every domain interceptor, and the reminders (when enabled). */
export function createDomain(p: { config: Config; store: Store; flows: Flow[]; logger: Logger; wakeSender?: () => void }) {
  const routing = createReminderRouting({ oa: p.config.zaloOa, logger: p.logger });
  const reminders = createReminders({ ...p, routing });
  const service = createConversationService(p.store, p.flows, [
    secretariatInterceptor,
    channelLinkInterceptor,
    ...(reminders ? [reminders.interceptor] : []),
  ]);
  return { service, reminders };
}

/** Assembles and starts the bot: store, flows, conversation service, outbox sender, HTTP server, channels. */
export async function startBot(config: Config, logger: Logger, channelFactories: ChannelFactory[] = []): Promise<Bot> {
  const flows = loadFlowsOrThrow(config.flowsDir);
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  seedReferenceData(store, config.dataDir, new Date());
  let sender: OutboxSender | undefined;
  const { service, reminders } = createDomain({ config, store, flows, logger, wakeSender: () => sender?.wake() });
  let turns: { handle: ChannelFactoryDeps['commitTurn'] } = new GroupCommit({ store, service });
  const deps: ChannelFactoryDeps = { config, store, service, logger, wakeSender: () => sender?.wake(), commitTurn: (e) => turns.handle(e) };
  const channels = channelFactories.map((f) => f(deps)).filter((c): c is Channel => c !== undefined);
  const webhooks = channels.flatMap((c) => c.webhooks());
  // Webhook turns: on a worker thread with its own connection (the main thread keeps serving HTTP
  // while a COMMIT waits for its fsync), or in this thread; group commit either way. No webhook, no
  // worker; and an in-memory database is private to its connection, so the worker could not share it.
  const useWorker = config.turnWorker && webhooks.length > 0 && !isPrivateDatabase(config.dbPath);
  const worker = useWorker ? await TurnWorker.start({ config, logger }) : undefined;
  if (worker) turns = worker;
  sender = new OutboxSender({
    store,
    transports: channels.map((c) => c.transport),
    logger,
    pollMs: config.outboxPollMs,
    ...(worker ? { commitWrites: (writes) => worker.commitWrites(writes) } : {}),
  });

  const app = createHttpApp({
    logger,
    health: createHealthReport({ store, flows, channels, startedAt: new Date(), turns: () => worker?.status() ?? { where: 'main thread' } }),
  });
  registerWebRoutes(app, {
    store,
    service,
    flows,
    logger,
    publicUrl: config.publicUrl,
    wakeSender: () => sender?.wake(),
    exportResponses: (args) => exportResponses({ ...args, store, flows }),
    ...(reminders ? { deadlines: reminders.deadlineInfo } : {}),
  });

  const server = await startHttpServer({ app, webhooks, port: config.port, host: config.host, logger });
  const port = (server.address() as AddressInfo).port;
  sender.start();
  for (const c of channels) await c.start();
  reminders?.planner.start();
  const inboxSweep = new InboxSweeper({ store, logger, retentionDays: config.inboxRetentionDays });
  inboxSweep.start();
  logger.info({ port, host: config.host, flows: flows.length, channels: channels.map((c) => c.name) }, 'xhht-bot started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Keep-alive webhook connections would hold close() open forever (see ops/shutdown.ts).
      await stopAccepting(server, { graceMs: 2500 });
      await reminders?.planner.stop();
      inboxSweep.stop();
      for (const c of channels) await c.stop();
      await worker?.close();
      // A send stuck on a silent platform must not hold the exit: it is sent again after restart.
      if (!(await withDeadline(sender.stop(), 1000))) logger.warn('outbox sender still busy at shutdown; unconfirmed messages will be re-sent');
      store.close();
      logger.info('xhht-bot stopped');
    })());

  return { config, store, flows, service, sender, app, channels, turnWorker: worker, port, stop };
}

function isPrivateDatabase(path: string): boolean {
  return path === '' || path === ':memory:' || (path.startsWith('file:') && /[?&]mode=memory\b/.test(path));
}
