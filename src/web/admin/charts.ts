import type { Hono } from 'hono';
import { z } from 'zod';
import type { Flow } from '../../flow/schema.ts';
import { DashboardStore, type RateRow } from '../../store/dashboardStore.ts';
import { clock, type WebDeps } from '../deps.ts';
import { type Html, html } from '../html.ts';
import {
  badRequest,
  communeCodeSchema,
  communeOptions,
  flowIdSchema,
  forbidden,
  notFound,
  optional,
  parseQuery,
  periodOptions,
  periodSchema,
} from './common.ts';
import { options, page } from './layout.ts';
import { communeFilter, isProvince } from './scope.ts';
import type { AdminEnv } from './session.ts';
import { type Bar, barChart, columnChart } from './svg.ts';

/** Charts as server-rendered SVG: self-checks over time, pass rates, levels reached, drop-off. */

const CITIZEN_FLOW = 'cong-dan-hoc-tap';
/** An unfinished response counts as abandoned after a day without an answer. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

export const chartsQuerySchema = z.strictObject({
  flow: optional(flowIdSchema),
  period: optional(periodSchema),
  commune: optional(communeCodeSchema),
});

/** The last 12 months in Vietnam time as "YYYY-MM", oldest first, and the UTC instant the first began. */
export function lastMonths(now: Date, count = 12): { keys: string[]; since: string } {
  const local = new Date(now.getTime() + 7 * 3600 * 1000);
  const keys: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - i, 1));
    keys.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  const since = new Date(Date.parse(`${keys[0]}-01T00:00:00+07:00`)).toISOString();
  return { keys, since };
}

const pct = (r: RateRow) => (r.n === 0 ? 0 : Math.round((r.met / r.n) * 1000) / 10);

function rateBars(rows: RateRow[], order: Array<{ id: string; title: string }>, withId: boolean): Bar[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return order.flatMap((o) => {
    const r = byId.get(o.id);
    if (!r) return [];
    const label = withId ? `${o.id} ${o.title}` : o.title;
    return [{ label, title: label, value: pct(r), note: `${String(pct(r)).replace('.', ',')}% (${r.met}/${r.n})` }];
  });
}

export function registerChartRoutes(app: Hono<AdminEnv>, deps: WebDeps): void {
  const dashboard = new DashboardStore(deps.store.db);

  app.get('/charts', (c) => {
    const q = parseQuery(c, chartsQuerySchema);
    if (!q) return badRequest(c);
    const ctx = c.get('admin');
    const scope = communeFilter(ctx, q.commune);
    if (!scope.ok) return forbidden(c);
    // Citizens carry no commune: their charts would not be limited to one commune, so they are province-only.
    const visible = deps.flows.filter((f) => f.audience === 'unit' || isProvince(ctx));
    const fallback = visible.find((f) => f.id === CITIZEN_FLOW) ?? visible[0];
    const flow = q.flow ? deps.flows.find((f) => f.id === q.flow) : fallback;
    if (!flow) return notFound(c);
    if (!visible.includes(flow)) return forbidden(c);
    const now = clock(deps);
    const period = q.period ?? null;
    const commune = scope.commune;

    const sections: Html[] = [];
    if (flow.audience === 'citizen') {
      const { keys, since } = lastMonths(now);
      const rows = new Map(dashboard.submissionsPerMonth({ flowId: flow.id, since, commune }).map((r) => [r.month, r]));
      sections.push(
        columnChart({
          title: `Số lượt tự đánh giá "${flow.title}" theo tháng (12 tháng gần nhất)`,
          columns: keys.map((k) => ({ label: `${k.slice(5)}/${k.slice(2, 4)}`, total: rows.get(k)?.n ?? 0, part: rows.get(k)?.passed ?? 0 })),
          totalLabel: 'Lượt hoàn thành',
          partLabel: 'Lượt đạt',
        }),
      );
    } else {
      sections.push(levelsChart(dashboard, flow, period, commune));
    }
    const rateArgs = { flowId: flow.id, period, commune };
    sections.push(
      barChart({
        title: flow.audience === 'citizen' ? 'Tỉ lệ đạt theo nhóm năng lực' : 'Tỉ lệ đạt theo tiêu chí',
        bars: rateBars(dashboard.criterionPassRates(rateArgs), flow.criteria, false),
        max: 100,
        unit: '%',
      }),
      barChart({
        title: flow.audience === 'citizen' ? 'Tỉ lệ đạt theo chỉ số' : 'Tỉ lệ đạt theo chỉ tiêu',
        bars: rateBars(dashboard.indicatorPassRates(rateArgs), flow.indicators, true),
        max: 100,
        unit: '%',
      }),
      dropOffChart(dashboard, flow, new Date(now.getTime() - STALE_AFTER_MS).toISOString(), commune),
    );

    const body = html`
<form method="get" action="/admin/charts" class="filters">
<label>Phần đánh giá<select name="flow">${options(visible.map((f) => ({ value: f.id, label: f.title })), flow.id)}</select></label>
<label>Năm đánh giá<select name="period"><option value="">Tất cả</option>${options(periodOptions(dashboard.periods(), now), period)}</select></label>
${
  isProvince(ctx)
    ? html`<label>Xã/phường<select name="commune"><option value="">Tất cả</option>${options(communeOptions(deps.store, dashboard.unitCommuneCodes()), commune)}</select></label>`
    : ''
}
<button type="submit">Xem</button>
</form>
<p class="hint">Tỉ lệ đạt tính trên các bản đã nộp (với đơn vị: bản nộp hiện hành của mỗi năm). "Dừng lại" là câu trả lời cuối cùng của các lượt đã hủy hoặc bỏ dở quá một ngày.</p>
<div class="charts">${sections}</div>`;
    return c.html(page({ title: 'Biểu đồ', ctx, active: 'charts', body }).value);
  });
}

function levelsChart(dashboard: DashboardStore, flow: Flow, period: string | null, commune: string | null): Html {
  const rows = dashboard.levels({ flowId: flow.id, period, commune });
  const levels = flow.scoring.kind === 'passFail' ? flow.scoring.levels : [];
  const count = (key: string | null) => rows.filter((r) => r.key === key).reduce((s, r) => s + r.n, 0);
  const known = new Set(levels.map((l) => l.id));
  const none = rows.filter((r) => r.key === null || !known.has(r.key)).reduce((s, r) => s + r.n, 0);
  const total = rows.reduce((s, r) => s + r.n, 0);
  const bars: Bar[] = total === 0 ? [] : [{ label: 'Chưa đạt', value: none }, ...levels.map((l) => ({ label: l.title, value: count(l.id) }))];
  return barChart({ title: `Mức đạt của các đơn vị (${total} bản nộp hiện hành)`, bars, ...(total > 0 ? { max: total } : {}) });
}

function dropOffChart(dashboard: DashboardStore, flow: Flow, staleBefore: string, commune: string | null): Html {
  const rows = dashboard.dropOff({ flowId: flow.id, staleBefore, commune });
  const byKey = new Map(rows.map((r) => [r.key, r.n]));
  const bars: Bar[] = [];
  const before = byKey.get(null);
  if (before) bars.push({ label: 'Chưa trả lời câu nào', value: before });
  flow.questions.forEach((q, i) => {
    const n = byKey.get(q.id);
    if (n) bars.push({ label: `Câu ${i + 1}: ${q.short ?? q.text}`, title: `Câu ${i + 1} (${q.id}): ${q.short ?? q.text}`, value: n });
  });
  // Answers to questions no longer in the flow (an older version) are grouped together.
  const known = new Set(flow.questions.map((q) => q.id));
  const old = rows.filter((r) => r.key !== null && !known.has(r.key)).reduce((s, r) => s + r.n, 0);
  if (old) bars.push({ label: 'Câu của phiên bản cũ', value: old });
  return barChart({ title: 'Nơi người dùng dừng lại (câu trả lời cuối cùng của các lượt chưa hoàn thành)', bars, empty: 'Chưa có lượt nào bỏ dở.' });
}
