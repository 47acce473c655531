import fc from 'fast-check';
import { PHONE, type ChannelName } from './values.ts';

/**
 * Generated webhook requests for both channels, each with the status the server must answer:
 * 401 without the right secret (checked before the body is read), 413 over the size limit, 400 for
 * anything that is not JSON or not an update of that platform, 200 for an update — however hostile
 * its text or odd its extra fields. Never a 5xx.
 */

export const FUZZ_MAX_BODY_BYTES = 65_536;

export interface FuzzCase {
  channel: ChannelName;
  kind: string;
  body: string | Uint8Array;
  /** 'ok': the right secret; otherwise a wrong value or no header. */
  secret: 'ok' | { wrong: string } | 'missing';
  expected: number;
}

const channel = fc.constantFrom<ChannelName>('telegram', 'zalo');
const userId = fc.integer({ min: 1, max: 40 });

const HOSTILE = [
  "'; DROP TABLE answers; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '${process.env.TELEGRAM_BOT_TOKEN}',
  '{{7*7}}',
  '%s%s%s%n',
  '__proto__',
  'constructor',
  '{"update_id":1}',
  '/start',
  '/start@xhht_test_bot payload',
  '/xoa',
  'xóa dữ liệu',
  'có',
  'không',
  'sửa 99999999999999999999',
  'sửa -1',
  'sửa 0',
  'đăng ký ABCD-EFGH',
  'đăng ký thư ký',
  'rời đơn vị',
  'bắt đầu',
  'quay lại',
  'xem kết quả',
  'gửi',
  '9'.repeat(400),
  '-0',
  'NaN',
  '1e308',
  '0x1F',
  '\u0000',
  '\u202e\u202d',
  '\ufeff',
  '\u200b\u200c\u200d',
  '👩‍👩‍👧‍👦',
  'ﷺ',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗͕͗',
  '\ud800',
  '\udfff\ud800',
  PHONE,
  '+84 912 345 678',
  '\r\n\r\n',
  ' ',
  '',
  '\t',
];

/** Texts people (or attackers) could send. */
const hostileText = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.tuple(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 40 })).map(([a, b]) => a + b),
  fc.array(fc.constantFrom('\ud800', '\udc00', '\u0000', '\u0301', 'ư', 'đ', '😀', '\u2028'), { maxLength: 50 }).map((cs) => cs.join('')),
);

function telegramUpdate(updateId: number, user: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const chat = { id: user, type: 'private', first_name: 'Mộng Tuyền' };
  return { update_id: updateId, message: { message_id: updateId, date: 1_795_000_000, chat, from: { id: user, is_bot: false, first_name: 'Mộng Tuyền' }, text, ...extra } };
}

function zaloUpdate(messageId: string, user: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = `fz-${user}`;
  return {
    ok: true,
    result: {
      event_name: 'message.text.received',
      message: { from: { id, display_name: 'Hoàng Thị Mộng Tuyền', is_bot: false }, chat: { id, chat_type: 'PRIVATE' }, message_id: messageId, date: 1_795_000_000_000, text, ...extra },
    },
  };
}

function validUpdate(ch: ChannelName, n: number, user: number, text: string, extra?: Record<string, unknown>): Record<string, unknown> {
  return ch === 'telegram' ? telegramUpdate(n, user, text, extra) : zaloUpdate(`fm-${n}`, user, text, extra);
}

const updateNumber = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Telegram: an update is a JSON object with an integer update_id ≥ 0; anything else is a 400. */
export function telegramExpectation(value: unknown): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 400;
  const id = (value as { update_id?: unknown }).update_id;
  return Number.isSafeInteger(id) && (id as number) >= 0 ? 200 : 400;
}

/** Zalo: without a string event_name (bare, or inside an ok:true envelope) it is not an update. */
function zaloIsSurelyMalformed(value: unknown): boolean {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(value)) return true;
  let u: unknown = value;
  if ('ok' in value && 'result' in value) {
    if (value.ok !== true) return true;
    u = value.result;
  }
  return !isRecord(u) || typeof u.event_name !== 'string' || u.event_name.length === 0;
}

const withChannel = <T>(arb: fc.Arbitrary<T>) => fc.tuple(channel, arb);

/** Random JSON values of any shape. */
const randomJson = withChannel(fc.jsonValue({ maxDepth: 4 })).map(([ch, value]): FuzzCase => {
  const body = JSON.stringify(value);
  const expected = ch === 'telegram' ? telegramExpectation(value) : zaloIsSurelyMalformed(value) ? 400 : -1;
  return { channel: ch, kind: 'random JSON', body, secret: 'ok', expected };
});

/** A real update cut short: never valid JSON. */
const truncated = fc.tuple(channel, updateNumber, userId, hostileText, fc.double({ min: 0, max: 1, noNaN: true })).map(([ch, n, u, text, at]): FuzzCase => {
  const full = JSON.stringify(validUpdate(ch, n, u, text));
  const cut = Math.min(full.length - 1, Math.floor(at * full.length));
  return { channel: ch, kind: 'truncated JSON', body: full.slice(0, cut), secret: 'ok', expected: 400 };
});

/** Not JSON at all: random text, random bytes (often not UTF-8), a BOM, nothing. */
const notJson = withChannel(
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !isJson(s)),
    fc.uint8Array({ maxLength: 200 }).filter((b) => !isJson(Buffer.from(b).toString('utf8'))),
    fc.constant(''),
    fc.constant('{"update_id":1,}'),
    fc.constant("{'update_id':1}"),
  ),
).map(([ch, body]): FuzzCase => ({ channel: ch, kind: 'not JSON', body, secret: 'ok', expected: 400 }));

/** Valid updates whose text is hostile: SQL, templates, commands, control and unpaired characters. */
const hostile = fc.tuple(channel, updateNumber, userId, hostileText).map(([ch, n, u, text]): FuzzCase => ({
  channel: ch,
  kind: 'valid update, hostile text',
  body: JSON.stringify(validUpdate(ch, n, u, text)),
  secret: 'ok',
  expected: 200,
}));

/** Huge strings around the body limit: 413 above it (even with a valid update inside), 200 below. */
const huge = fc
  .tuple(channel, updateNumber, userId, fc.constantFrom('a', 'ệ', '😀', '\u0000'), fc.integer({ min: 8_000, max: 40_000 }))
  .map(([ch, n, u, unit, count]): FuzzCase => {
    const body = JSON.stringify(validUpdate(ch, n, u, unit.repeat(count)));
    return { channel: ch, kind: 'huge string', body, secret: 'ok', expected: Buffer.byteLength(body) > FUZZ_MAX_BODY_BYTES ? 413 : 200 };
  });

/** Deep nesting: inside an extra field of a valid update (200), or as the whole body (400). */
const deep = fc.tuple(channel, updateNumber, userId, fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([ch, n, u, depth, inside]): FuzzCase => {
  const nest = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (!inside) return { channel: ch, kind: 'deep nesting', body: nest, secret: 'ok', expected: 400 };
  const base = JSON.stringify(validUpdate(ch, n, u, 'xin chào'));
  return { channel: ch, kind: 'deep nesting', body: `${base.slice(0, -1)},"nested":${nest}}`, secret: 'ok', expected: 200 };
});

const notAnInteger = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.constant(2 ** 60),
);
const notAnId = fc.oneof(
  fc.constant(''),
  fc.constant('   '),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d) || d < 0),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant({ id: '' }),
);
const anyWrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));

/** One field of a valid update given a value of the wrong type, with what that must lead to. */
const wrongTypes = fc.oneof(
  // Telegram: a bad update_id means it is not an update (400) …
  fc.tuple(updateNumber, userId, notAnInteger).map(([n, u, bad]): FuzzCase => {
    const update = telegramUpdate(n, u, 'xin chào');
    update.update_id = bad;
    return { channel: 'telegram', kind: 'wrong type', body: JSON.stringify(update), secret: 'ok', expected: 400 };
  }),
  // … while a bad field inside a real update is ignored with a 200 (a 400 would make Telegram
  // redeliver it for hours and hold back that chat's later updates).
  fc.tuple(updateNumber, userId, fc.constantFrom('message', 'text', 'chat', 'chat.id', 'from', 'from.id', 'chat.type'), anyWrong).map(([n, u, field, bad]): FuzzCase => {
    const update = telegramUpdate(n, u, 'xin chào');
    setPath(update, field === 'message' ? ['message'] : ['message', ...field.split('.')], bad);
    return { channel: 'telegram', kind: 'wrong type', body: JSON.stringify(update), secret: 'ok', expected: 200 };
  }),
  // Zalo: a message event without a readable sender, chat, id or text is malformed (400).
  fc.tuple(updateNumber, userId, fc.constantFrom('from.id', 'chat.id', 'from', 'chat', 'text', 'message', 'event_name'), notAnId).map(([n, u, field, bad]): FuzzCase => {
    const update = zaloUpdate(`fm-${n}`, u, 'xin chào');
    const result = update.result as Record<string, unknown>;
    if (field === 'event_name') result.event_name = typeof bad === 'string' ? '' : bad;
    else if (field === 'message') result.message = typeof bad === 'object' && bad !== null ? [] : bad;
    else setPath(result, ['message', ...field.split('.')], field === 'text' && typeof bad === 'string' ? 42 : bad);
    return { channel: 'zalo', kind: 'wrong type', body: JSON.stringify(update), secret: 'ok', expected: 400 };
  }),
  // Zalo: a broken envelope is not an update (400); an event we do not handle is a 200.
  fc.tuple(updateNumber, userId, fc.constantFrom(false, null, 'yes', 0)).map(([n, u, ok]): FuzzCase => {
    const update = zaloUpdate(`fm-${n}`, u, 'xin chào');
    update.ok = ok;
    return { channel: 'zalo', kind: 'wrong type', body: JSON.stringify(update), secret: 'ok', expected: 400 };
  }),
  fc.tuple(fc.constantFrom('user.follow', 'message.sent', 'oa.send.text', 'x'), anyWrong).map(([event, message]): FuzzCase => ({
    channel: 'zalo',
    kind: 'wrong type',
    body: JSON.stringify({ event_name: event, message }),
    secret: 'ok',
    expected: 200,
  })),
);

/** Unicode in names, ids and keys of otherwise valid updates. */
const unicode = fc.tuple(channel, updateNumber, userId, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 20 })).map(([ch, n, u, name, key]): FuzzCase => {
  const update = validUpdate(ch, n, u, name, { [`x_${key}`]: name });
  const message = (ch === 'telegram' ? update.message : (update.result as Record<string, unknown>).message) as Record<string, Record<string, unknown>>;
  message.from!.first_name = name;
  message.from!.display_name = name;
  return { channel: ch, kind: 'unicode edge cases', body: JSON.stringify(update), secret: 'ok', expected: 200 };
});

/** A byte-order mark before a valid update: decoders drop it (RFC 8259 allows ignoring it). */
const bom = fc.tuple(channel, updateNumber, userId).map(([ch, n, u]): FuzzCase => ({
  channel: ch,
  kind: 'BOM before a valid update',
  body: `\ufeff${JSON.stringify(validUpdate(ch, n, u, 'xin chào'))}`,
  secret: 'ok',
  expected: 200,
}));

/** The right body with a wrong or missing secret: 401 before anything is read. */
const unauthorized = fc
  .tuple(channel, updateNumber, userId, fc.option(fc.stringMatching(/^[\x21-\x7e]{0,80}$/), { nil: undefined }))
  .map(([ch, n, u, wrong]): FuzzCase => ({
    channel: ch,
    kind: 'wrong secret',
    body: JSON.stringify(validUpdate(ch, n, u, 'xin chào')),
    secret: wrong === undefined ? 'missing' : { wrong },
    expected: 401,
  }));

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { arbitrary: randomJson, weight: 3 },
  { arbitrary: truncated, weight: 2 },
  { arbitrary: notJson, weight: 2 },
  { arbitrary: hostile, weight: 4 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: wrongTypes, weight: 3 },
  { arbitrary: unicode, weight: 2 },
  { arbitrary: unauthorized, weight: 1 },
  { arbitrary: bom, weight: 1 },
);

export type FuzzTally = Record<string, Record<string, number>>;

/**
 * Sends `numRuns` generated requests through `send` and checks each status; stops at the first
 * wrong one (fast-check then shrinks it to a minimal case). Returns statuses counted by kind.
 */
export async function runFuzz(send: (c: FuzzCase) => Promise<number>, numRuns: number, seed?: number): Promise<FuzzTally> {
  const tally: FuzzTally = {};
  await fc.assert(
    fc.asyncProperty(fuzzCase, async (c) => {
      const status = await send(c);
      const byStatus = (tally[`${c.channel} · ${c.kind}`] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (!statusIsRight(c, status)) {
        throw new Error(`${c.kind} on ${c.channel}: HTTP ${status}, expected ${c.expected === -1 ? '200 or 400' : c.expected}`);
      }
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
  return tally;
}

/** The status the case must get; -1: any 2xx/4xx that is not 401/413 (shape rules too fine to restate). */
export function statusIsRight(c: FuzzCase, status: number): boolean {
  if (status >= 500) return false;
  if (c.expected === -1) return status === 200 || status === 400;
  return status === c.expected;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return;
    node = next as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
