import { fold } from './vietnamese.ts';

export type Command =
  | { name: 'start'; arg?: string }
  | { name: 'back' }
  | { name: 'edit'; n?: number }
  | { name: 'summary' }
  | { name: 'restart' }
  | { name: 'help' }
  | { name: 'cancel' }
  | { name: 'result' }
  | { name: 'delete' }
  | { name: 'unknown'; raw: string };

/** Vietnamese words (compared without diacritics) and slash commands for each command. */
const WORDS: Array<[Command['name'], string[]]> = [
  ['start', ['bat dau', 'batdau', 'start', 'tiep tuc']],
  ['back', ['quay lai', 'quaylai', 'back', 'tro lai', 'lui lai']],
  ['summary', ['xem lai', 'xemlai', 'summary', 'tom tat']],
  ['restart', ['lam lai', 'lamlai', 'restart', 'lam lai tu dau']],
  ['help', ['tro giup', 'trogiup', 'help', 'huong dan', 'giup', 'giup do']],
  ['cancel', ['huy', 'cancel', 'dung lai', 'thoat']],
  ['result', ['xem ket qua', 'ketqua', 'ket qua', 'result', 'xemketqua']],
  ['delete', ['xoa du lieu', 'xoadulieu', 'delete', 'xoa toan bo du lieu']],
];

/** Recognises a command in typed text; returns undefined for ordinary answers. */
export function parseCommand(text: string): Command | undefined {
  const trimmed = text.trim();
  const slash = trimmed.startsWith('/');
  // "/start@MyBot payload" → "start", "payload"
  const body = slash ? trimmed.slice(1).replace(/^([^\s@]+)@\S+/, '$1') : trimmed;
  const f = fold(body);
  if (f === '') return slash ? { name: 'unknown', raw: trimmed } : undefined;

  const edit = /^(?:sua|edit)(?: (?:cau )?(\d{1,3}))?$/.exec(f);
  if (edit) return edit[1] ? { name: 'edit', n: Number(edit[1]) } : { name: 'edit' };

  const [head = '', ...rest] = f.split(' ');
  if (slash && (head === 'start' || head === 'batdau')) {
    const arg = body.split(/\s+/).slice(1).join(' ').trim();
    return arg ? { name: 'start', arg } : { name: 'start' };
  }
  for (const [name, words] of WORDS) {
    if (words.includes(f) || (slash && words.includes(head) && rest.length === 0)) return { name } as Command;
  }
  return slash ? { name: 'unknown', raw: trimmed.split(/\s+/)[0] ?? trimmed } : undefined;
}
