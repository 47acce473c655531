import { PassThrough, Readable } from 'node:stream';
import type { Hono } from 'hono';
import { z } from 'zod';
import { DashboardStore } from '../../store/dashboardStore.ts';
import { vietnamDate } from '../../util/time.ts';
import { clock, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import {
  badRequest,
  communeCodeSchema,
  communeOptions,
  flowIdSchema,
  forbidden,
  optional,
  parseQuery,
  periodOptions,
  periodSchema,
  unitIdSchema,
} from './common.ts';
import { options, page } from './layout.ts';
import { communeFilter, exportScope, isProvince } from './scope.ts';
import type { AdminEnv } from './session.ts';

/** Downloads of the exports (src/export), limited to the caller's communes, streamed as they are written. */

const day = z.iso.date();

export const exportQuerySchema = z
  .strictObject({
    format: z.enum(['csv', 'xlsx']),
    flow: optional(flowIdSchema),
    period: optional(periodSchema),
    from: optional(day),
    to: optional(day),
    commune: optional(communeCodeSchema),
    unit: optional(unitIdSchema),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['from'] });

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

export function registerExportRoutes(app: Hono<AdminEnv>, deps: WebDeps): void {
  const dashboard = new DashboardStore(deps.store.db);

  app.get('/exports', (c) => {
    if (!parseQuery(c, z.strictObject({}))) return badRequest(c);
    const ctx = c.get('admin');
    const now = clock(deps);
    const flows = deps.flows.filter((f) => f.audience === 'unit' || isProvince(ctx));
    const body = html`
${deps.exportResponses ? '' : html`<p class="warn">Chức năng xuất dữ liệu chưa sẵn sàng trên máy chủ này.</p>`}
<form method="get" action="/admin/exports/download" class="card filters-col">
<label>Định dạng<select name="format"><option value="xlsx">Excel (.xlsx)</option><option value="csv">CSV (UTF-8, mở được bằng Excel)</option></select></label>
<label>Phần đánh giá<select name="flow"><option value="">Tất cả</option>${options(flows.map((f) => ({ value: f.id, label: f.title })), null)}</select></label>
<label>Năm đánh giá<select name="period"><option value="">Tất cả</option>${options(periodOptions(dashboard.periods(), now), null)}</select></label>
<label>Từ ngày<input type="date" name="from"></label>
<label>Đến ngày<input type="date" name="to"></label>
${
  isProvince(ctx)
    ? html`<label>Xã/phường<select name="commune"><option value="">Tất cả</option>${options(communeOptions(deps.store, dashboard.unitCommuneCodes()), null)}</select></label>`
    : html`<p class="hint">Dữ liệu chỉ gồm các đơn vị thuộc xã, phường của Anh/Chị.</p>`
}
<button type="submit">Tải xuống</button>
</form>
<p class="hint">Tệp gồm một dòng cho mỗi lượt đánh giá (kèm từng câu hỏi và từng chỉ tiêu) và một bảng chi tiết từng câu trả lời.</p>`;
    return c.html(page({ title: 'Tải dữ liệu', ctx, active: 'exports', body }).value);
  });

  app.get('/exports/download', (c) => {
    const q = parseQuery(c, exportQuerySchema);
    if (!q) return badRequest(c);
    const ctx = c.get('admin');
    const scope = communeFilter(ctx, q.commune);
    if (!scope.ok) return forbidden(c);
    if (q.flow && !isProvince(ctx) && deps.flows.find((f) => f.id === q.flow)?.audience !== 'unit') return forbidden(c);
    if (q.unit) {
      const unit = deps.store.units.unit(q.unit);
      if (unit && !isProvince(ctx) && unit.communeCode !== ctx.account.communeCode) return forbidden(c);
    }
    const exportResponses = deps.exportResponses;
    if (!exportResponses) return c.text('Chức năng xuất dữ liệu chưa sẵn sàng (export not available yet).', 503);

    const output = new PassThrough();
    const filters = {
      flowId: q.flow,
      period: q.period,
      from: q.from,
      to: q.to,
      communeCode: scope.commune ?? undefined,
      unitId: q.unit,
    };
    exportResponses({ filters, scope: exportScope(ctx), format: q.format, output })
      .then(() => {
        if (!output.writableEnded) output.end();
      })
      .catch((err: unknown) => {
        deps.logger.error({ err: err instanceof Error ? err.name : 'error' }, 'export failed while streaming');
        output.destroy(err instanceof Error ? err : new Error('export failed'));
      });
    const name = `xhht-${q.flow ?? 'tat-ca'}-${vietnamDate(clock(deps))}.${q.format}`;
    deps.logger.info({ event: 'export_download', accountId: ctx.account.id, format: q.format }, 'export download');
    return new Response(Readable.toWeb(output) as ReadableStream, {
      headers: {
        'Content-Type': CONTENT_TYPES[q.format],
        'Content-Disposition': `attachment; filename="${name}"`,
        'Cache-Control': 'no-store',
      },
    });
  });
}
