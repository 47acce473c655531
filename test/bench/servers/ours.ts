import { startBot } from '../../../src/app.ts';
import { telegramChannel } from '../../../src/channels/telegram/index.ts';
import { parseConfig } from '../../../src/config.ts';
import { silentLogger } from '../../../src/log.ts';
import { DATA_DIR, FAKE_BOT, FLOWS_DIR } from '../../fakes/telegramApi.ts';
import { memoryAfterGc, serveParent } from '../lib/children.ts';

/** xhht-bot under test: startBot with the Telegram channel in webhook mode, replies going to the instant fake API. */

const env = process.env;
const config = parseConfig({
  NODE_ENV: 'production',
  DB_PATH: env.BENCH_DB!,
  DB_SYNCHRONOUS: env.BENCH_SYNC ?? 'FULL',
  PORT: '0',
  HOST: '127.0.0.1',
  FLOWS_DIR: env.BENCH_FLOWS_DIR ?? FLOWS_DIR,
  DATA_DIR,
  LOG_LEVEL: 'silent',
  LOCAL_CHAT_ON_START: 'false',
  TELEGRAM_BOT_TOKEN: env.BENCH_TOKEN!,
  TELEGRAM_WEBHOOK_SECRET: env.BENCH_SECRET!,
  TELEGRAM_API_ROOT: env.BENCH_API_ROOT!,
  TELEGRAM_MODE: 'webhook',
});
const options = { botInfo: FAKE_BOT };
const bot = await startBot(config, silentLogger, [telegramChannel(options)]);
process.send?.({ type: 'ready', port: bot.port, baseline: memoryAfterGc() });

serveParent({
  async stats(args) {
    // Memory of the conversations themselves, without the sends under way to drain the backlog.
    if (args.quiesce) await bot.sender.stop();
    return { ...memoryAfterGc(), outbox: bot.store.outboxCounts() };
  },
  stop: () => bot.stop(),
});
