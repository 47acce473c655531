import type { ZaloOaConfig, ZaloOaFallback } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { LadderStep } from '../../reminders/ladder.ts';
import { reminderScope } from '../../reminders/message.ts';
import type { ReminderToRoute } from '../../reminders/planner.ts';
import { channelLinkStoreOf } from '../../store/channelLinkStore.ts';
import { reminderStoreOf } from '../../store/reminderStore.ts';
import type { NewOutboxMessage, OutboxRow, PersonRow, Store } from '../../store/store.ts';
import type { FocalPointRow } from '../../store/unitStore.ts';
import { zaloOaStoreOf } from '../../store/zaloOaStore.ts';
import { CHANNEL } from './normalise.ts';
import { choiceIdsOf, scopeLogId, withScope, withZnsData, znsDataOf, znsTemplateData } from './reminderPayload.ts';
import { type WindowRules, windowClosesAt, windowOpen } from './window.ts';

/**
 * Where each reminder goes, as two hooks for the reminder planner plus a fallback for the OA
 * transport. One human may have identities on several channels (linked with a code, see
 * channelLinks.ts); a reminder goes to the identity they chose, else the one they used last. When
 * that identity is on the Zalo OA and its messaging window is closed, the configured fallbacks are
 * tried in order (ZALO_OA_REMINDER_FALLBACK):
 *
 *   early          queue the next step during the last hours of the window (sendEarly hook)
 *   zns            send the approved ZNS template instead (outbox kind 'zns')
 *   other_channel  send it to another linked identity whose channel can be reached now
 *   list           put it on the secretariat's "cannot reach on Zalo" list (reminder_unreachable)
 *
 * The list is always the last resort, so no reminder disappears silently. A human with several
 * focal-point identities in one unit receives each step once: once one identity's reminder has been
 * handled, the others' are suppressed. A reminder moved to another identity gets its own reminder_log
 * row (so its buttons belong to that identity and the planner will not send that step again).
 */

export type UnreachableReason = 'window_closed' | 'unfollowed' | 'not_follower' | 'zns_failed' | 'oa_not_authorised';

export const UNREACHABLE_LABELS: Record<UnreachableReason, string> = {
  window_closed: 'quá 7 ngày kể từ tin nhắn cuối của người nhận (Zalo không cho gửi tin tư vấn)',
  unfollowed: 'người nhận đã bỏ quan tâm Official Account',
  not_follower: 'người nhận không quan tâm Official Account',
  zns_failed: 'Zalo từ chối tin ZNS',
  oa_not_authorised: 'Official Account cần được cấp quyền lại',
};

const DEFAULT_RULES: WindowRules = { windowHours: 168, freeHours: 48 };
const HOUR = 3_600_000;

export interface ReminderRoutingOptions {
  /** Unset: no OA configured (linking and channel preference still apply). */
  oa: ZaloOaConfig | undefined;
  logger: Logger;
}

/** A planner reminder, known by the parts of its key. */
interface ReminderRef {
  deadlineId: string;
  period: string;
  unitId: string;
  step: string;
}

type Delivery = { how: 'message' | 'zns'; to: PersonRow } | { how: 'list'; to: PersonRow; reason: UnreachableReason };

export interface ReminderRouting {
  routeReminder(r: ReminderToRoute): NewOutboxMessage[];
  sendEarly(p: { store: Store; fp: FocalPointRow; step: LadderStep; now: Date }): boolean;
  /**
   * The OA transport could not deliver a reminder row (window closed at send time, -230, ZNS refused,
   * OA not authorised): tries the remaining fallbacks. Runs its own transaction.
   */
  afterSendFailure(p: { store: Store; row: OutboxRow; reason: UnreachableReason; now: Date }): void;
}

export function createReminderRouting(opts: ReminderRoutingOptions): ReminderRouting {
  const rules: WindowRules = opts.oa ? opts.oa.window : DEFAULT_RULES;
  const fallbacks: ZaloOaFallback[] = opts.oa ? opts.oa.reminderFallback : ['other_channel', 'list'];
  const zns = opts.oa?.zns;
  const { logger } = opts;

  const isOa = (p: PersonRow) => p.channel === CHANNEL;
  const reachableNow = (p: PersonRow, now: Date) => !p.unreachable_at && (!isOa(p) || windowOpen(p.last_inbound_at, now, rules));

  /** The human's identities that represent this unit (the person first, if nothing else). */
  function identitiesIn(store: Store, person: PersonRow, unitId: string): PersonRow[] {
    const all = channelLinkStoreOf(store).identitiesOf(person);
    if (all.length === 1) return all;
    const focal = new Set(store.units.focalPointsOf(unitId).map((f) => f.personId));
    const inUnit = all.filter((p) => focal.has(p.id));
    return inUnit.some((p) => p.id === person.id) ? inUnit : [person, ...inUnit];
  }

  /** The chosen channel's identity, else the one used last; unreachable ones only when nothing else is left. */
  function primaryOf(store: Store, members: PersonRow[]): PersonRow {
    const group = channelLinkStoreOf(store).groupOf(members[0]!.id);
    const preferred = group === undefined ? undefined : channelLinkStoreOf(store).preference(group);
    const live = members.filter((m) => !m.unreachable_at);
    return latest(live.filter((m) => m.channel === preferred)) ?? latest(live) ?? latest(members)!;
  }

  function decide(p: { store: Store; members: PersonRow[]; now: Date; znsAllowed: boolean }): Delivery {
    const primary = primaryOf(p.store, p.members);
    if (reachableNow(primary, p.now)) return { how: 'message', to: primary };
    const others = p.members.filter((m) => m.id !== primary.id && reachableNow(m, p.now));
    // Telegram, the Zalo Bot Platform and the local chat have no window: their blocked chats keep
    // the outbox's own handling unless another identity can be reached.
    if (!isOa(primary)) return { how: 'message', to: latest(others) ?? primary };
    const reason: UnreachableReason = primary.unreachable_at ? 'unfollowed' : 'window_closed';
    return fallbackFor({ primary, others, znsAllowed: p.znsAllowed && !primary.unreachable_at, reason });
  }

  /** The first configured fallback that applies now ("early" is over by then); the list at the end. */
  function fallbackFor(p: { primary: PersonRow; others: PersonRow[]; znsAllowed: boolean; reason: UnreachableReason }): Delivery {
    for (const f of fallbacks) {
      if (f === 'zns' && zns && p.znsAllowed) return { how: 'zns', to: p.primary };
      if (f === 'other_channel' && p.others.length > 0) return { how: 'message', to: latest(p.others)! };
      if (f === 'list') break;
    }
    return { how: 'list', to: p.primary, reason: p.reason };
  }

  function routeReminder(r: ReminderToRoute): NewOutboxMessage[] {
    const { store, now } = r;
    const self = store.getPerson(r.fp.personId);
    if (!self) return [r.message];
    const ref: ReminderRef = { deadlineId: r.occ.entry.id, period: r.occ.period, unitId: r.unit.id, step: r.step.key };
    const members = identitiesIn(store, self, r.unit.id);
    if (members.some((m) => m.id !== self.id && zaloOaStoreOf(store).reminderQueued(keyOf(ref, m.id)))) {
      logger.debug({ deadline: ref.deadlineId, unit: ref.unitId, step: ref.step }, 'reminder already handled through a linked identity');
      return [];
    }
    const znsData = r.occ.entry.kind === 'deadline' && zns ? znsTemplateData(r, zns.data) : undefined;
    const d = decide({ store, members, now, znsAllowed: znsData !== undefined });
    const early = r.step.at > now;
    // The usual case (its own chat, on time) is the planner's to report; anything else is worth a line.
    const usual = d.how === 'message' && d.to.id === self.id && !early;
    logger[usual ? 'debug' : 'info'](
      { deadline: ref.deadlineId, unit: ref.unitId, step: ref.step, route: d.how, channel: d.to.channel, linked: d.to.id !== self.id, early },
      'reminder routed',
    );
    if (d.how === 'list') {
      listUnreachable(store, ref, d.to, d.reason, now);
      zaloOaStoreOf(store).markReminderNotSent(r.key, `cannot reach on Zalo: ${d.reason}`);
      return [];
    }
    const payload = withZnsData(r.message.payload, znsData);
    if (d.to.id === self.id) return [d.how === 'zns' ? znsMessage(ref, d.to, payload, r.logId) : { ...r.message, payload }];
    reissue({ store, ref, to: d.to, how: d.how, payload, now, plannedAt: r.step.at.toISOString() });
    return [];
  }

  function sendEarly(p: { store: Store; fp: FocalPointRow; step: LadderStep; now: Date }): boolean {
    const { store, fp, step, now } = p;
    if (!fallbacks.includes('early') || fp.channel !== CHANNEL) return false;
    const self = store.getPerson(fp.personId);
    if (!self || self.unreachable_at) return false;
    const members = identitiesIn(store, self, fp.unitId);
    if (primaryOf(store, members).id !== self.id) return false;
    const closesAt = windowClosesAt(self.last_inbound_at, rules);
    if (!closesAt || now >= closesAt || step.at < closesAt) return false;
    // Only in the last hours of the window, and only a step due within one more window length:
    // a reminder weeks ahead of its date helps nobody.
    const leadStart = closesAt.getTime() - (opts.oa?.window.earlyLeadHours ?? 24) * HOUR;
    if (now.getTime() < leadStart) return false;
    if (step.at.getTime() - now.getTime() > rules.windowHours * HOUR) return false;
    // A reminder already sent in these last hours was the last chance to reply; another adds noise.
    const last = reminderStoreOf(store).latestQueuedFor(self.id);
    if (last && Date.parse(last.created_at) >= leadStart) return false;
    const othersLater = members.some((m) => m.id !== self.id && !m.unreachable_at && !isOa(m));
    for (const f of fallbacks) {
      if (f === 'early') return true;
      if (f === 'zns' && zns) return false;
      if (f === 'other_channel' && othersLater) return false;
      if (f === 'list') return false;
    }
    return false;
  }

  function afterSendFailure(p: { store: Store; row: OutboxRow; reason: UnreachableReason; now: Date }): void {
    const { store, row, reason, now } = p;
    const ref = parseReminderKey(row.dedupe_key);
    const self = row.person_id === null ? undefined : store.getPerson(row.person_id);
    if (!ref || !self) return;
    store.transaction(() => {
      const members = identitiesIn(store, self, ref.unitId);
      // The failed identity is out of the running for this reminder, whatever its window says.
      const others = members.filter((m) => m.id !== self.id && reachableNow(m, now));
      const znsAllowed = row.kind !== 'zns' && reason !== 'oa_not_authorised' && reason !== 'unfollowed' && znsDataOf(row.payload) !== undefined;
      const d = fallbackFor({ primary: self, others, znsAllowed, reason });
      logger.warn({ deadline: ref.deadlineId, unit: ref.unitId, step: ref.step, reason, route: d.how, outboxId: row.id }, 'reminder not delivered on the Zalo OA; fallback');
      if (d.how === 'list') {
        listUnreachable(store, ref, self, reason, now);
        zaloOaStoreOf(store).markReminderNotSent(keyOf(ref, self.id), `cannot reach on Zalo: ${reason}`);
        return;
      }
      if (d.how === 'zns') {
        // Its own dedupe key: the failed row holds the reminder's.
        store.enqueue({ ...znsMessage(ref, self, row.payload, scopeLogId(row.payload) ?? row.id), dedupeKey: `rz|${keyOf(ref, self.id)}` }, now.toISOString());
        return;
      }
      reissue({ store, ref, to: d.to, how: 'message', payload: row.payload, now, plannedAt: now.toISOString() });
    });
  }

  /** The same reminder for another identity: its own reminder_log row (its buttons), its own outbox row. */
  function reissue(p: { store: Store; ref: ReminderRef; to: PersonRow; how: 'message' | 'zns'; payload: string; now: Date; plannedAt: string }): void {
    const { store, ref, to } = p;
    const key = keyOf(ref, to.id);
    const choices = choiceIdsOf(p.payload);
    const logId = reminderStoreOf(store).log(
      { key, deadlineId: ref.deadlineId, period: ref.period, unitId: ref.unitId, personId: to.id, step: ref.step, status: 'queued', choices, plannedAt: p.plannedAt },
      p.now.toISOString(),
    );
    if (logId === undefined) return; // that identity already has this step
    const payload = withScope(p.payload, reminderScope(logId));
    const row: NewOutboxMessage =
      p.how === 'zns'
        ? znsMessage(ref, to, payload, logId)
        : { channel: to.channel, chatId: to.external_id, personId: to.id, kind: 'reminder', payload, dedupeKey: `rm|${key}` };
    store.enqueue(row, p.now.toISOString());
  }

  function znsMessage(ref: ReminderRef, to: PersonRow, payload: string, trackingNo: number): NewOutboxMessage {
    const data = znsDataOf(payload) ?? {};
    return {
      channel: CHANNEL,
      chatId: to.external_id,
      personId: to.id,
      kind: 'zns',
      payload: JSON.stringify({ kind: 'zns', templateId: zns!.templateId, templateData: data, trackingId: `xhht-${trackingNo}`, development: zns!.development }),
      dedupeKey: `rm|${keyOf(ref, to.id)}`,
    };
  }

  return { routeReminder, sendEarly, afterSendFailure };
}

function listUnreachable(store: Store, ref: ReminderRef, person: PersonRow, reason: UnreachableReason, now: Date): void {
  zaloOaStoreOf(store).recordUnreachable({ reminderKey: keyOf(ref, person.id), ...ref, personId: person.id, channel: person.channel, reason }, now.toISOString());
}

const keyOf = (ref: ReminderRef, personId: number) => `${ref.deadlineId}|${ref.period}|${ref.unitId}|${personId}|${ref.step}`;

/** "rm|deadline|period|unit|person|step" → its parts; undefined for anything that is not a planner reminder. */
export function parseReminderKey(dedupeKey: string | null): ReminderRef | undefined {
  const parts = dedupeKey?.split('|');
  if (!parts || parts.length !== 6 || parts[0] !== 'rm') return undefined;
  const [, deadlineId, period, unitId, , step] = parts as [string, string, string, string, string, string];
  return { deadlineId, period, unitId, step };
}

function latest(people: PersonRow[]): PersonRow | undefined {
  let best: PersonRow | undefined;
  for (const p of people) if (!best || (p.last_inbound_at ?? '') > (best.last_inbound_at ?? '')) best = p;
  return best;
}
