import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Output } from '../../engine/types.ts';
import type { AdminStore } from '../../store/adminStore.ts';
import { DashboardStore } from '../../store/dashboardStore.ts';
import type { Store } from '../../store/store.ts';
import { UNIT_TYPE_LABELS } from '../../units/types.ts';
import { clock, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import {
  badRequest,
  communeCodeSchema,
  communeNames,
  communeOptions,
  currentPeriod,
  forbidden,
  optional,
  parseQuery,
  unitIdSchema,
  unitTypeOptions,
  unitTypeSchema,
} from './common.ts';
import { csrfField, messagePage, options, page } from './layout.ts';
import { buildRoster, ROSTER_STATUSES, STATUS_LABELS, unitFlows } from './rosterData.ts';
import { canSeeCommune, communeFilter, isProvince } from './scope.ts';
import type { AdminEnv } from './session.ts';

/**
 * A notice to the focal points of selected units, queued in the outbox (so the channels' rate limits
 * apply). Citizens cannot be reached yet: nothing records a citizen's opt-in to announcements.
 */

const MAX_UNITS = 5000;

export const broadcastQuerySchema = z.strictObject({
  commune: optional(communeCodeSchema),
  type: optional(unitTypeSchema),
  status: optional(z.enum(ROSTER_STATUSES)),
  sent: optional(z.coerce.number().int().min(0)),
  units: optional(z.coerce.number().int().min(0)),
  dup: optional(z.literal('1')),
});

export const broadcastFormSchema = z.strictObject({
  csrf: z.string(),
  nonce: z.uuid(),
  text: z.string().trim().min(1).max(1500),
  unit: z.union([unitIdSchema, z.array(unitIdSchema).min(1).max(MAX_UNITS)]).transform((u) => (Array.isArray(u) ? u : [u])),
});

export const broadcastText = (text: string): Output => ({
  kind: 'message',
  text: `Thông báo từ Văn phòng thường trực xã hội học tập:\n\n${text}`,
});

/** Queues the notice for every active focal point of the units; a repeated nonce (double submit) queues nothing. */
export function queueBroadcast(p: {
  store: Store;
  admin: AdminStore;
  accountId: number;
  nonce: string;
  text: string;
  unitIds: string[];
  now: Date;
}): { duplicate: boolean; recipients: number } {
  const nowIso = p.now.toISOString();
  return p.store.transaction(() => {
    const id = p.admin.recordBroadcast({ nonce: p.nonce, accountId: p.accountId, text: p.text, unitCount: p.unitIds.length, now: nowIso });
    if (id === undefined) return { duplicate: true, recipients: 0 };
    const payload = JSON.stringify(broadcastText(p.text));
    let recipients = 0;
    for (const unitId of new Set(p.unitIds)) {
      for (const fp of p.store.units.focalPointsOf(unitId)) {
        const queued = p.store.enqueue(
          { channel: fp.channel, chatId: fp.externalId, personId: fp.personId, kind: 'broadcast', payload, dedupeKey: `broadcast:${id}:${fp.personId}` },
          nowIso,
        );
        if (queued) recipients++;
      }
    }
    p.admin.setBroadcastRecipients(id, recipients);
    return { duplicate: false, recipients };
  });
}

export function registerBroadcastRoutes(app: Hono<AdminEnv>, deps: WebDeps, admin: AdminStore): void {
  const dashboard = new DashboardStore(deps.store.db);

  app.get('/broadcast', (c) => {
    const q = parseQuery(c, broadcastQuerySchema);
    if (!q) return badRequest(c);
    const ctx = c.get('admin');
    const scope = communeFilter(ctx, q.commune);
    if (!scope.ok) return forbidden(c);
    const now = clock(deps);
    // One line per unit, whatever the number of flows: the status filter matches any of them.
    const entries = buildRoster({
      dashboard,
      flows: unitFlows(deps.flows),
      focalPoints: deps.store.units.allFocalPoints(),
      deadlines: deps.deadlines,
      period: currentPeriod(now),
      commune: scope.commune,
      type: q.type ?? null,
      now,
    }).filter((e) => !q.status || e.status === q.status);
    const seen = new Set<string>();
    const units = entries.filter((e) => !seen.has(e.unitId) && seen.add(e.unitId));
    const names = communeNames(deps.store);
    const reachable = units.filter((u) => u.focalPointChannels.length > 0);
    const body = html`
${q.dup ? html`<p class="flash">Thông báo này đã được gửi trước đó (bấm gửi hai lần); không gửi lại.</p>` : ''}
${q.sent !== undefined ? html`<p class="flash">Đã xếp ${q.sent} tin nhắn vào hàng đợi gửi (${q.units ?? 0} đơn vị). Tin nhắn được gửi dần theo giới hạn của từng kênh.</p>` : ''}
<p class="hint">Thông báo được gửi tới các đầu mối đã đăng ký của đơn vị được chọn, trên kênh của từng người. Việc gửi tới công dân chưa hỗ trợ vì công dân chưa thể đăng ký nhận thông báo.</p>
<form method="get" action="/admin/broadcast" class="filters">
${
  isProvince(ctx)
    ? html`<label>Xã/phường<select name="commune"><option value="">Tất cả</option>${options(communeOptions(deps.store, dashboard.unitCommuneCodes()), scope.commune)}</select></label>`
    : ''
}
<label>Loại đơn vị<select name="type"><option value="">Tất cả</option>${options(unitTypeOptions(), q.type)}</select></label>
<label>Trạng thái năm ${currentPeriod(now)}<select name="status"><option value="">Tất cả</option>${options(ROSTER_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })), q.status)}</select></label>
<button type="submit">Lọc</button>
</form>
${
  reachable.length === 0
    ? html`<p>Không có đơn vị nào (có đầu mối) phù hợp.</p>`
    : html`<form method="post" action="/admin/broadcast" class="card">
${csrfField(ctx)}
<input type="hidden" name="nonce" value="${randomUUID()}">
<label>Nội dung thông báo<textarea name="text" rows="5" maxlength="1500" required></textarea></label>
<fieldset class="units"><legend>Gửi tới đầu mối của ${reachable.length} đơn vị (bỏ chọn đơn vị không cần gửi)</legend>
${reachable.map(
  (u) => html`<label class="inline"><input type="checkbox" name="unit" value="${u.unitId}" checked> ${u.unitName} <small>(${UNIT_TYPE_LABELS[u.unitType]}, ${names.get(u.communeCode) ?? u.communeCode}, ${u.focalPointChannels.length} đầu mối)</small></label>`,
)}
</fieldset>
<button type="submit">Gửi thông báo</button>
</form>`
}`;
    return c.html(page({ title: 'Gửi thông báo', ctx, active: 'broadcast', body }).value);
  });

  app.post('/broadcast', async (c) => {
    const ctx = c.get('admin');
    const parsed = broadcastFormSchema.safeParse(await c.req.parseBody({ all: true }));
    if (!parsed.success) {
      return c.html(messagePage({ title: 'Chưa gửi', text: 'Vui lòng nhập nội dung và chọn ít nhất một đơn vị.', ctx }).value, 400);
    }
    const f = parsed.data;
    for (const unitId of f.unit) {
      const unit = deps.store.units.unit(unitId);
      if (!unit) return badRequest(c);
      if (!canSeeCommune(ctx, unit.communeCode)) return forbidden(c);
    }
    const r = queueBroadcast({ store: deps.store, admin, accountId: ctx.account.id, nonce: f.nonce, text: f.text, unitIds: f.unit, now: clock(deps) });
    if (!r.duplicate) {
      deps.logger.info({ event: 'broadcast', accountId: ctx.account.id, units: f.unit.length, recipients: r.recipients }, 'broadcast queued');
      deps.wakeSender?.();
    }
    return c.redirect(r.duplicate ? '/admin/broadcast?dup=1' : `/admin/broadcast?sent=${r.recipients}&units=${f.unit.length}`, 303);
  });
}
