import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { Input, Output } from '../../engine/types.ts';
import type { ConversationService } from '../../service/conversation.ts';
import type { Store } from '../../store/store.ts';

/**
 * The local channel: a chat in the terminal through the same service, store and outbox as the
 * messengers. The chat process is its own sender for channel "local": it prints and marks sent.
 */

export const LOCAL_CHANNEL = 'local';

const jsonLine = z.union([
  z.strictObject({ text: z.string().max(4096) }),
  z.strictObject({ choice: z.string().min(1).max(100), scope: z.string().max(100).optional() }),
]);

export interface LocalChatOptions {
  service: ConversationService;
  store: Store;
  user: string;
  input: Readable;
  output: Writable;
  json: boolean;
  /** Interactive mode greets (or resumes) before the first line is typed. */
  greet?: boolean;
  now?: () => Date;
}

export async function runLocalChat(opts: LocalChatOptions): Promise<void> {
  const { service, store, user, output } = opts;
  const now = opts.now ?? (() => new Date());
  const write = (s: string) => output.write(s);

  const deliver = () => {
    for (const row of store.pendingOutboxFor(LOCAL_CHANNEL, user)) {
      const payload = JSON.parse(row.payload) as Output;
      write(opts.json ? `${JSON.stringify(toJson(payload))}\n` : renderForTerminal(payload));
      store.markSent(row.id, now().toISOString());
    }
  };
  const send = (input: Input) => {
    service.handle({ channel: LOCAL_CHANNEL, eventId: randomUUID(), userKey: user, chatId: user, input, receivedAt: now() });
    deliver();
  };

  // Replies left undelivered by a previous run (it was killed mid-way) go out first.
  deliver();
  if (opts.greet) send({ kind: 'text', text: '/start' });

  const rl = createInterface({ input: opts.input, terminal: false, crlfDelay: Infinity });
  if (!opts.json) write('> ');
  for await (const line of rl) {
    if (opts.json) {
      if (line.trim() === '') continue;
      const parsed = parseJsonLine(line);
      if (!parsed.ok) {
        write(`${JSON.stringify({ type: 'error', message: parsed.message })}\n`);
        continue;
      }
      send(parsed.input);
    } else {
      send({ kind: 'text', text: line });
      write('> ');
    }
  }
  if (!opts.json) write('\n');
}

function parseJsonLine(line: string): { ok: true; input: Input } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, message: 'each line must be a JSON object such as {"text":"..."} or {"choice":"<option id>"}' };
  }
  const parsed = jsonLine.safeParse(raw);
  if (!parsed.success) return { ok: false, message: 'expected {"text": string} or {"choice": string}' };
  const v = parsed.data;
  if ('text' in v) return { ok: true, input: { kind: 'text', text: v.text } };
  return { ok: true, input: v.scope ? { kind: 'choice', choiceId: v.choice, scope: v.scope } : { kind: 'choice', choiceId: v.choice } };
}

function toJson(o: Output): Record<string, unknown> {
  if (o.kind === 'message') {
    return o.choices ? { type: 'message', text: o.text, choices: o.choices, scope: o.scope } : { type: 'message', text: o.text };
  }
  const r = o.result;
  return {
    type: 'result',
    flow: r.flow,
    flowVersion: r.flowVersion,
    passed: r.passed,
    score: r.score,
    level: r.level,
    criteria: r.criteria.map((c) => ({ id: c.id, met: c.met, score: c.score })),
    indicators: r.indicators.map((i) => ({ id: i.id, criterion: i.criterion, met: i.met, score: i.score, applicable: i.applicable })),
  };
}

function renderForTerminal(o: Output): string {
  if (o.kind === 'result') return '';
  const choices = o.choices?.map((c, i) => `   ${i + 1}. ${c.label}`).join('\n');
  return `\n${o.text}\n${choices ? `${choices}\n` : ''}`;
}
