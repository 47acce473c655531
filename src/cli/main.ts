import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { type ChannelFactory, createDomain, startBot } from '../app.ts';
import { runLocalChat } from '../channels/local/localChat.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { FlowLoadError, formatProblems, loadFlowsFromDir, loadFlowsOrThrow } from '../flow/load.ts';
import { createLogger } from '../log.ts';
import { seedReferenceData } from '../units/importUnits.ts';
import { summaryCommand, UNITS_USAGE, unitsCommand } from '../units/cli.ts';
import { EXPORT_USAGE_LINES, exportCommand } from '../export/cli.ts';
import { deadlinesCommand, REMINDERS_USAGE, remindCommand } from '../reminders/cli.ts';
import { adminCommand } from '../web/cli.ts';
import { ZALO_OA_USAGE, zaloOaCommand } from '../channels/zaloOa/cli.ts';
import { BACKUP_USAGE, backupCommand } from '../ops/backup.ts';
import { Store } from '../store/store.ts';
import { channelFactories } from './channels.ts';

const USAGE = `xhht — bot server for the lifelong-learning movement

Usage:
  xhht serve                     run the bot (HTTP server, messengers, outbox); the default of "npm start"
  xhht check [DIR]               validate every flow in DIR (default: FLOWS_DIR or flows/)
  xhht chat [--user ID] [--db PATH] [--json]
                                 chat with the bot in this terminal (--json: JSON lines on stdin/stdout)
${UNITS_USAGE}
${EXPORT_USAGE_LINES}
${REMINDERS_USAGE}
  xhht admin add EMAIL [--role province|commune --commune CODE] [--generate]
                                 create a dashboard account (also: passwd, disable, list, invite)
${ZALO_OA_USAGE}
${BACKUP_USAGE}
  xhht help                      this text

Configuration comes from environment variables (see .env.example); a .env file is read if present.`;

/** Entry point of the `xhht` command. Returns the exit code; errors are printed in plain English. */
export async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand();
      case 'check':
        return checkCommand(rest);
      case 'chat':
        return await chatCommand(rest);
      case 'units':
        return await unitsCommand(rest);
      case 'summary':
        return await summaryCommand(rest);
      case 'export':
        return await exportCommand(rest);
      case 'deadlines':
        return await deadlinesCommand(rest);
      case 'remind':
        return await remindCommand(rest);
      case 'admin':
        return await adminCommand(rest);
      case 'zalo-oa':
        return await zaloOaCommand(rest);
      case 'backup':
        return await backupCommand(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    return reportFatal(err);
  }
}

function reportFatal(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nSee .env.example for every variable and its accepted values.\n`);
    return 2;
  }
  if (err instanceof FlowLoadError) {
    process.stderr.write(`Refusing to start: ${err.problems.length} problem(s) in the flows.\n${formatProblems(err.problems)}\n`);
    return 1;
  }
  if (err instanceof Error && /unknown option|Unexpected argument|argument missing/i.test(err.message)) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  process.stderr.write(`Fatal error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

function checkCommand(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const dir = positionals[0] ?? loadConfig().flowsDir;
  const { flows, problems } = loadFlowsFromDir(dir);
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} problem(s) found in ${dir}:\n${formatProblems(problems)}\n`);
    return 1;
  }
  process.stdout.write(`OK: ${flows.length} flow(s) in ${dir} are valid:\n`);
  for (const f of flows) {
    process.stdout.write(`  ${f.id}@${f.version} — ${f.questions.length} questions, ${f.indicators.length} indicators${f.provisional ? ' (provisional)' : ''}\n`);
  }
  return 0;
}

async function chatCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const config = loadConfig(values.db ? { DB_PATH: values.db } : {});
  // A reader that goes away (a closed pipe) ends the chat quietly; everything said is already stored.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const flows = loadFlowsOrThrow(config.flowsDir);
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  try {
    seedReferenceData(store, config.dataDir, new Date());
    const { service } = createDomain({ config, store, flows, logger: createLogger(config.logLevel) });
    await runLocalChat({
      service,
      store,
      user: values.user ?? `terminal-${userInfo().username}`,
      input: process.stdin,
      output: process.stdout,
      json: values.json ?? false,
      greet: !values.json,
    });
  } finally {
    store.close();
  }
  return 0;
}

async function serveCommand(factories: ChannelFactory[] = channelFactories): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const bot = await startBot(config, logger, factories);
  const url = `http://${config.host}:${bot.port}`;
  process.stderr.write(`xhht-bot is running: ${url}/healthz\n`);
  const noMessenger = !config.telegram && !config.zalo;
  if (noMessenger) {
    process.stderr.write(
      'No TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN is set, so the bot talks in this terminal (the local chat).\n' +
        'Another terminal can chat too: npx xhht chat --user <name>. Ctrl+C stops the server.\n',
    );
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 5000);
      force.unref();
      // An open request to a silent platform would keep the process alive after a clean stop.
      void bot.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    if (noMessenger && config.localChatOnStart && process.stdin.isTTY) {
      void runLocalChat({
        service: bot.service,
        store: bot.store,
        user: `terminal-${userInfo().username}`,
        input: process.stdin,
        output: process.stdout,
        json: false,
        greet: true,
      }).then(() => shutdown('stdin closed'));
    }
  });
  return 0;
}


