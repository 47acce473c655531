import type { Hono } from 'hono';
import { z } from 'zod';
import { DashboardStore } from '../../store/dashboardStore.ts';
import { UNIT_TYPE_LABELS } from '../../units/types.ts';
import { clock, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import {
  badRequest,
  CHANNEL_LABELS,
  communeCodeSchema,
  communeNames,
  communeOptions,
  currentPeriod,
  flowIdSchema,
  forbidden,
  optional,
  parseQuery,
  periodOptions,
  periodSchema,
  unitTypeOptions,
  unitTypeSchema,
} from './common.ts';
import { formatVn, options, page } from './layout.ts';
import { buildRoster, countByStatus, ROSTER_STATUSES, type RosterEntry, STATUS_LABELS, unitFlows } from './rosterData.ts';
import { communeFilter, isProvince } from './scope.ts';
import type { AdminEnv } from './session.ts';

const PAGE_SIZE = 200;

export const rosterQuerySchema = z.strictObject({
  period: optional(periodSchema),
  commune: optional(communeCodeSchema),
  type: optional(unitTypeSchema),
  flow: optional(flowIdSchema),
  status: optional(z.enum(ROSTER_STATUSES)),
  page: optional(z.coerce.number().int().min(1).max(10_000)),
});

export function registerRosterRoutes(app: Hono<AdminEnv>, deps: WebDeps): void {
  const dashboard = new DashboardStore(deps.store.db);

  const load = (ctx: AdminEnv['Variables']['admin'], q: z.output<typeof rosterQuerySchema>) => {
    const scope = communeFilter(ctx, q.commune);
    if (!scope.ok) return { forbidden: true as const };
    const now = clock(deps);
    const flows = unitFlows(deps.flows).filter((f) => !q.flow || f.id === q.flow);
    const period = q.period ?? currentPeriod(now);
    const all = buildRoster({
      dashboard,
      flows,
      focalPoints: deps.store.units.allFocalPoints(),
      deadlines: deps.deadlines,
      period,
      commune: scope.commune,
      type: q.type ?? null,
      now,
    });
    const entries = q.status ? all.filter((e) => e.status === q.status) : all;
    return { forbidden: false as const, now, period, commune: scope.commune, all, entries };
  };

  app.get('/roster', (c) => {
    const q = parseQuery(c, rosterQuerySchema);
    if (!q) return badRequest(c);
    const ctx = c.get('admin');
    const r = load(ctx, q);
    if (r.forbidden) return forbidden(c);
    const names = communeNames(deps.store);
    const counts = countByStatus(r.all);
    const pageNo = q.page ?? 1;
    const shown = r.entries.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(r.entries.length / PAGE_SIZE));
    const linkTo = (n: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...q, page: n })) if (v !== undefined) params.set(k, String(v));
      return `/admin/roster?${params.toString()}`;
    };
    const flows = unitFlows(deps.flows);
    const body = html`
<form method="get" action="/admin/roster" class="filters">
<label>Năm đánh giá<select name="period">${options(periodOptions(dashboard.periods(), r.now), r.period)}</select></label>
${
  isProvince(ctx)
    ? html`<label>Xã/phường<select name="commune"><option value="">Tất cả</option>${options(communeOptions(deps.store, dashboard.unitCommuneCodes()), r.commune)}</select></label>`
    : ''
}
<label>Loại đơn vị<select name="type"><option value="">Tất cả</option>${options(unitTypeOptions(), q.type)}</select></label>
${
  flows.length > 1
    ? html`<label>Phần đánh giá<select name="flow"><option value="">Tất cả</option>${options(flows.map((f) => ({ value: f.id, label: f.title })), q.flow)}</select></label>`
    : ''
}
<label>Trạng thái<select name="status"><option value="">Tất cả</option>${options(ROSTER_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })), q.status)}</select></label>
<button type="submit">Lọc</button>
</form>
<ul class="counts">${ROSTER_STATUSES.map((s) => html`<li class="st-${s}"><strong>${counts[s]}</strong> ${STATUS_LABELS[s]}</li>`)}</ul>
${
  r.entries.length === 0
    ? html`<p>Không có đơn vị nào phù hợp. Danh sách đơn vị được nạp bằng lệnh <code>npx xhht units import</code>.</p>`
    : html`<table class="roster">
<thead><tr><th>Đơn vị</th><th>Loại</th><th>Xã/phường</th><th>Phần đánh giá</th><th>Trạng thái</th><th>Kết quả</th><th>Đầu mối</th><th>Nhắc gần nhất</th><th>Quá hạn</th><th></th></tr></thead>
<tbody>${shown.map((e) => rosterRow(e, names))}</tbody>
</table>
${pages > 1 ? html`<p class="pager">Trang ${pageNo}/${pages} ${pageNo > 1 ? html`<a href="${linkTo(pageNo - 1)}">← Trước</a>` : ''} ${pageNo < pages ? html`<a href="${linkTo(pageNo + 1)}">Sau →</a>` : ''}</p>` : ''}`
}`;
    return c.html(page({ title: `Tình hình báo cáo năm ${r.period}`, ctx, active: 'roster', body }).value);
  });

  app.get('/api/roster', (c) => {
    const q = parseQuery(c, rosterQuerySchema);
    if (!q) return c.json({ ok: false, error: 'invalid query' }, 400);
    const r = load(c.get('admin'), q);
    if (r.forbidden) return c.json({ ok: false, error: 'forbidden' }, 403);
    return c.json({ ok: true, period: r.period, entries: r.entries });
  });
}

function rosterRow(e: RosterEntry, names: Map<string, string>) {
  const channels = [...new Set(e.focalPointChannels)].map((ch) => CHANNEL_LABELS[ch] ?? ch).join(', ');
  return html`<tr class="st-${e.status}${e.overdue ? ' overdue' : ''}">
<td>${e.unitName}</td>
<td>${UNIT_TYPE_LABELS[e.unitType] ?? e.unitType}</td>
<td>${names.get(e.communeCode) ?? e.communeCode}</td>
<td>${e.flowTitle}</td>
<td><span class="badge st-${e.status}">${STATUS_LABELS[e.status]}</span>${e.redoing ? html`<br><small>đang làm lại</small>` : ''}${e.submittedAt ? html`<br><small>${formatVn(e.submittedAt)}</small>` : ''}</td>
<td>${e.levelLabel ?? '—'}</td>
<td>${e.focalPointChannels.length === 0 ? html`<span class="muted">Chưa có</span>` : `${e.focalPointChannels.length} (${channels})`}</td>
<td>${formatVn(e.lastReminderAt)}</td>
<td>${e.overdue === undefined ? '—' : e.overdue ? html`<strong class="late">Quá hạn</strong>` : 'Không'}</td>
<td>${e.responseId !== null ? html`<a href="/admin/submissions/${e.responseId}">Xem</a>` : ''}</td>
</tr>`;
}
