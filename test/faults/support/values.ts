import { CITIZEN_TURNS, citizenText, communeOf } from '../../helpers/citizenScript.ts';

/**
 * Secrets and personal values the fault suite feeds the bot, chosen to be unmistakable in a log:
 * the log scan (logScan.ts) fails if any of them shows up in what the bot wrote.
 */

export const TG_TOKEN = '7654321:FAULTS-tg_Tok3nValue-4242';
export const TG_SECRET = 'faults-tg-webhook_Secret-7070';
export const ZALO_TOKEN = 'faults-zalo-Tok3nValue-9393';
export const ZALO_SECRET = 'faults-zalo-webhook-Secret-8080';

/** The environment both fault harnesses give the bot: Telegram and Zalo in webhook mode against the fakes. */
export function messengerEnv(o: { telegramApiRoot: string; zaloApiRoot: string }): Record<string, string> {
  return {
    OUTBOX_POLL_MS: '20',
    LOCAL_CHAT_ON_START: 'false',
    TELEGRAM_BOT_TOKEN: TG_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    TELEGRAM_API_ROOT: o.telegramApiRoot,
    TELEGRAM_MODE: 'webhook',
    ZALO_BOT_TOKEN: ZALO_TOKEN,
    ZALO_WEBHOOK_SECRET: ZALO_SECRET,
    ZALO_API_ROOT: o.zaloApiRoot,
    ZALO_MODE: 'webhook',
  };
}

export const FIRST_NAME = 'Mộng Tuyền';
export const LAST_NAME = 'Hoàng Thị';
export const FULL_NAME = 'Hoàng Thị Mộng Tuyền';
export const USERNAME = 'mongtuyen_hoang_1987';
export const PHONE = '0912345678';

/** Everything that must never appear in a log line. */
export function secretsAndPersonalValues(citizens: number[] = []): string[] {
  return [
    TG_TOKEN,
    'Tok3nValue',
    TG_SECRET,
    ZALO_TOKEN,
    ZALO_SECRET,
    FIRST_NAME,
    LAST_NAME,
    FULL_NAME,
    USERNAME,
    PHONE,
    '912345678',
    ...citizens.map(communeOf),
  ];
}

/** What fault-suite citizens type: the shared script, with a phone number in the commune answer. */
export function faultText(citizen: number, turn: number): string {
  return turn === 3 ? `${communeOf(citizen)}, ĐT ${PHONE}` : citizenText(citizen, turn);
}

export { CITIZEN_TURNS };

export type ChannelName = 'telegram' | 'zalo';

/** A citizen's chat/user id on a channel. */
export function userIdOf(channel: ChannelName, citizen: number): string {
  return channel === 'telegram' ? String(30_000_000 + citizen) : `zu-${citizen}-f00d`;
}

/** Telegram update for a citizen's turn (update_id derived from both, so a redelivery reuses it). */
export function telegramUpdate(citizen: number, turn: number, text = faultText(citizen, turn)) {
  const userId = Number(userIdOf('telegram', citizen));
  const updateId = citizen * 100 + turn + 1;
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1_795_000_000 + updateId,
      chat: { id: userId, type: 'private', first_name: FIRST_NAME, last_name: LAST_NAME, username: USERNAME },
      from: { id: userId, is_bot: false, first_name: FIRST_NAME, last_name: LAST_NAME, username: USERNAME, language_code: 'vi' },
      text,
    },
  };
}

/** Zalo webhook body (documented envelope) for a citizen's turn. */
export function zaloUpdate(citizen: number, turn: number, text = faultText(citizen, turn)) {
  const userId = userIdOf('zalo', citizen);
  return {
    ok: true,
    result: {
      event_name: 'message.text.received',
      message: {
        from: { id: userId, display_name: FULL_NAME, is_bot: false },
        chat: { id: userId, chat_type: 'PRIVATE' },
        message_id: `zm-${citizen}-${turn}`,
        date: 1_795_000_000_000 + citizen * 100 + turn,
        text,
      },
    },
  };
}

export function updateFor(channel: ChannelName, citizen: number, turn: number): unknown {
  return channel === 'telegram' ? telegramUpdate(citizen, turn) : zaloUpdate(citizen, turn);
}
