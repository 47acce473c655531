import type { Writable } from 'node:stream';
import type { Flow } from '../flow/schema.ts';
import type { Logger } from '../log.ts';
import type { ConversationService } from '../service/conversation.ts';
import type { Store } from '../store/store.ts';

/** The export function of src/export, as the dashboard calls it (wired by the server when present). */
export type ExportResponses = (args: {
  filters: {
    flowId?: string | undefined;
    period?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    communeCode?: string | undefined;
    unitId?: string | undefined;
  };
  /** communeCodes undefined: the whole province; a list: only units of these communes. */
  scope: { communeCodes?: string[] | undefined };
  format: 'csv' | 'xlsx';
  output: Writable;
}) => Promise<unknown>;

/** What the reminders module knows about a unit's deadline; each answer may be "unknown" (undefined). */
export interface DeadlineInfo {
  /** Whether the unit is on the overdue list for this flow and period. */
  isOverdue(p: { unitId: string; flowId: string; period: string; now: Date }): boolean | undefined;
  /** The last reminder sent to a focal point of the unit (UTC ISO instant). */
  lastReminderAt(p: { unitId: string; flowId: string; period: string }): string | undefined;
}

export interface WebDeps {
  store: Store;
  service: ConversationService;
  flows: Flow[];
  logger: Logger;
  /** https PUBLIC_URL: cookies get the Secure flag. */
  publicUrl: string | undefined;
  /** Wakes the outbox sender after review notices and broadcasts are queued. */
  wakeSender?: () => void;
  exportResponses?: ExportResponses | undefined;
  deadlines?: DeadlineInfo | undefined;
  /** Messages per client address to the web chat (default: a burst of 30, then 60 a minute). */
  chatRate?: { perMinute: number; burst: number } | undefined;
  now?: () => Date;
}

export const secureCookies = (deps: WebDeps): boolean => deps.publicUrl?.startsWith('https://') ?? false;
export const clock = (deps: WebDeps): Date => (deps.now ? deps.now() : new Date());
