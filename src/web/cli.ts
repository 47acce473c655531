import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.ts';
import { AdminStore } from '../store/adminStore.ts';
import { Store } from '../store/store.ts';
import { formatVietnamDateTime } from '../util/time.ts';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH } from './admin/password.ts';
import { createSecretariatInvite, DEFAULT_SECRETARIAT_INVITE_HOURS } from './secretariat.ts';

const USAGE = `xhht admin — dashboard accounts and secretariat invites

Usage:
  xhht admin add EMAIL [--role province|commune] [--commune CODE] [--generate]
        create a dashboard account (default role: province). The password is asked twice in a
        terminal, read from the first line of standard input otherwise, or generated and printed
        once with --generate (also when standard input is empty).
  xhht admin passwd EMAIL [--generate]   set a new password (ends the account's sessions)
  xhht admin disable EMAIL               disable an account (ends its sessions)
  xhht admin list                        list accounts
  xhht admin invite [--hours N]          print a single-use code for "đăng ký thư ký <code>" in chat
                                         (default: valid ${DEFAULT_SECRETARIAT_INVITE_HOURS} hours)
Every command accepts --db PATH (default: DB_PATH).`;

export interface AdminCommandIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  now: () => Date;
}

const defaultIo = (): AdminCommandIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: () => new Date() });

const emailSchema = z.email().max(254);

/** `xhht admin …`. Returns the exit code. */
export async function adminCommand(args: string[], io: AdminCommandIo = defaultIo()): Promise<number> {
  const [sub, ...rest] = args;
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const err = (s: string) => io.stderr.write(`${s}\n`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        commune: { type: 'string' },
        generate: { type: 'boolean', default: false },
        hours: { type: 'string' },
        db: { type: 'string' },
      },
    });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!sub || sub === 'help' || sub === '--help') {
    out(USAGE);
    return sub ? 0 : 2;
  }
  const config = loadConfig(values.db ? { DB_PATH: values.db } : {});
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  const admin = new AdminStore(store.db);
  try {
    switch (sub) {
      case 'add': {
        const email = emailSchema.safeParse(positionals[0]);
        if (!email.success) return usageError(err, 'admin add needs a valid EMAIL');
        const role = z.enum(['province', 'commune']).safeParse(values.role ?? 'province');
        if (!role.success) return usageError(err, '--role must be province or commune');
        const commune = values.commune?.trim();
        if (role.data === 'commune' && !commune) return usageError(err, '--role commune needs --commune CODE');
        if (role.data === 'province' && commune) return usageError(err, '--commune is only for --role commune');
        if (commune && !knownCommunes(store).has(commune)) {
          err(`Unknown commune code "${commune}". Load the administrative units and units first (npx xhht units import, or start the server once).`);
          return 1;
        }
        if (admin.accountByEmail(email.data)) {
          err(`An account for ${email.data} already exists (use "xhht admin passwd ${email.data}" to change its password).`);
          return 1;
        }
        const password = await obtainPassword(io, values.generate ?? false, out, err);
        if (password === undefined) return 1;
        admin.addAccount({
          email: email.data,
          passwordHash: await hashPassword(password.value),
          role: role.data,
          communeCode: commune ?? null,
          now: io.now().toISOString(),
        });
        out(`Created ${role.data === 'province' ? 'province secretariat' : `commune officer (${commune})`} account ${email.data}.`);
        if (password.generated) out(`Password (shown once, store it safely): ${password.value}`);
        return 0;
      }
      case 'passwd': {
        const account = admin.accountByEmail(positionals[0] ?? '');
        if (!account) return usageError(err, 'admin passwd needs the EMAIL of an existing account');
        const password = await obtainPassword(io, values.generate ?? false, out, err);
        if (password === undefined) return 1;
        admin.setPassword(account.id, await hashPassword(password.value));
        out(`Password changed for ${account.email}; its sessions were ended.`);
        if (password.generated) out(`Password (shown once, store it safely): ${password.value}`);
        return 0;
      }
      case 'disable': {
        const email = positionals[0] ?? '';
        if (!admin.disableAccount(email, io.now().toISOString())) {
          err(`No enabled account for "${email}".`);
          return 1;
        }
        out(`Disabled ${email}; its sessions were ended.`);
        return 0;
      }
      case 'list': {
        const accounts = admin.accounts();
        if (accounts.length === 0) out('No accounts yet. Create one with: npx xhht admin add EMAIL');
        for (const a of accounts) {
          out(`${a.email}\t${a.role}${a.communeCode ? ` ${a.communeCode}` : ''}\tcreated ${a.createdAt}${a.disabledAt ? `\tdisabled ${a.disabledAt}` : ''}`);
        }
        return 0;
      }
      case 'invite': {
        const hours = z.coerce.number().int().min(1).max(24 * 30).safeParse(values.hours ?? DEFAULT_SECRETARIAT_INVITE_HOURS);
        if (!hours.success) return usageError(err, '--hours must be a whole number from 1 to 720');
        const invite = createSecretariatInvite(store, io.now(), hours.data);
        out(`Secretariat invite code (single use): ${invite.code}`);
        out(`Valid until ${formatVietnamDateTime(new Date(invite.expiresAt))} (Vietnam time).`);
        out(`The secretariat member sends in the bot's chat (Telegram, Zalo or web): đăng ký thư ký ${invite.code}`);
        return 0;
      }
      default:
        return usageError(err, `Unknown admin command "${sub}".`);
    }
  } finally {
    store.close();
  }
}

function usageError(err: (s: string) => void, message: string): number {
  err(`${message}\n\n${USAGE}`);
  return 2;
}

function knownCommunes(store: Store): Set<string> {
  return new Set([
    ...store.units.adminUnits().filter((a) => a.level === 'commune').map((a) => a.code),
    ...store.units.units().map((u) => u.communeCode),
  ]);
}

/** The password: generated, typed twice without echo in a terminal, or the first line of standard input. */
async function obtainPassword(
  io: AdminCommandIo,
  generate: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<{ value: string; generated: boolean } | undefined> {
  if (generate) return { value: generatePassword(), generated: true };
  let value: string;
  if (io.stdin.isTTY) {
    value = await promptHidden(io, 'Password: ');
    const again = await promptHidden(io, 'Repeat password: ');
    if (value !== again) {
      err('The two passwords differ; nothing was changed.');
      return undefined;
    }
  } else {
    value = await firstLine(io.stdin);
    if (value === '') {
      out('No password on standard input: generating one.');
      return { value: generatePassword(), generated: true };
    }
  }
  if (value.length < MIN_PASSWORD_LENGTH) {
    err(`The password must have at least ${MIN_PASSWORD_LENGTH} characters; nothing was changed.`);
    return undefined;
  }
  return { value, generated: false };
}

async function firstLine(input: Readable): Promise<string> {
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  for await (const line of rl) {
    rl.close();
    return line.replace(/\r$/, '');
  }
  return '';
}

/** Reads one line from a terminal without echoing it. */
function promptHidden(io: AdminCommandIo, question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = io.stdin as NodeJS.ReadStream;
    io.stdout.write(question);
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode?.(false);
          stdin.pause();
          stdin.off('data', onData);
          io.stdout.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
