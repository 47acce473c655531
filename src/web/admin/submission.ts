import type { Hono } from 'hono';
import { z } from 'zod';
import type { FlowResult } from '../../engine/types.ts';
import type { AdminStore } from '../../store/adminStore.ts';
import { DashboardStore } from '../../store/dashboardStore.ts';
import { UNIT_TYPE_LABELS } from '../../units/types.ts';
import { clock, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import { badRequest, CHANNEL_LABELS, communeNames, forbidden, notFound, optional, parseQuery } from './common.ts';
import { csrfField, formatVn, messagePage, page } from './layout.ts';
import { reviewSubmission } from './review.ts';
import { levelLabel } from './rosterData.ts';
import { canSeeCommune } from './scope.ts';
import type { AdminEnv } from './session.ts';

/** One unit submission: every answer, every criterion and indicator outcome, reviews, and the review form. */

const idSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const viewQuerySchema = z.strictObject({ ok: optional(z.enum(['returned', 'approved'])) });

export const reviewFormSchema = z
  .strictObject({
    csrf: z.string(),
    decision: z.enum(['approve', 'return']),
    comment: z.string().trim().max(2000).optional().default(''),
    expected: z.coerce.number().int().min(0),
  })
  .refine((f) => f.decision === 'approve' || f.comment.length > 0, { message: 'comment required', path: ['comment'] });

export function registerSubmissionRoutes(app: Hono<AdminEnv>, deps: WebDeps, admin: AdminStore): void {
  const dashboard = new DashboardStore(deps.store.db);

  /** The submission with its unit and flow, when the account may see it. */
  const load = (ctx: AdminEnv['Variables']['admin'], rawId: string) => {
    const id = idSchema.safeParse(rawId);
    if (!id.success) return { status: 404 as const };
    const response = deps.store.getResponse(id.data);
    const link = dashboard.responseUnit(id.data);
    // Citizens' own answers are not shown on the dashboard: only unit submissions are reviewed.
    if (!response || response.status !== 'submitted' || !link?.unitId) return { status: 404 as const };
    const unit = deps.store.units.unit(link.unitId);
    const flow = deps.flows.find((f) => f.id === response.flow_id);
    if (!unit) return { status: 404 as const };
    if (!canSeeCommune(ctx, unit.communeCode)) return { status: 403 as const };
    return { status: 200 as const, response, link, unit, flow };
  };

  app.get('/submissions/:id', (c) => {
    const q = parseQuery(c, viewQuerySchema);
    if (!q) return badRequest(c);
    const ctx = c.get('admin');
    const s = load(ctx, c.req.param('id'));
    if (s.status === 404) return notFound(c);
    if (s.status === 403) return forbidden(c);
    const { response, link, unit, flow } = s;
    let result: FlowResult | undefined;
    try {
      result = response.result ? (JSON.parse(response.result) as FlowResult) : undefined;
    } catch {
      result = undefined;
    }
    const answers = deps.store.currentAnswers(response.id);
    const reviews = admin.reviewsOf(response.id);
    const isCurrent = link.replacedAt === null;
    const history = response.period ? deps.store.units.submissionHistory(unit.id, response.flow_id, response.period) : [];
    const names = communeNames(deps.store);
    const notice = q.ok;
    const body = html`
${notice === 'returned' ? html`<p class="flash">Đã trả lại bản tự đánh giá và gửi thông báo cho đầu mối của đơn vị.</p>` : ''}
${notice === 'approved' ? html`<p class="flash">Đã duyệt bản tự đánh giá.</p>` : ''}
<dl class="facts">
<dt>Đơn vị</dt><dd>${unit.name}</dd>
<dt>Loại đơn vị</dt><dd>${UNIT_TYPE_LABELS[unit.type]}</dd>
<dt>Xã/phường</dt><dd>${names.get(unit.communeCode) ?? unit.communeCode}</dd>
<dt>Phần đánh giá</dt><dd>${flow?.title ?? response.flow_id} (phiên bản ${response.flow_version})</dd>
<dt>Năm đánh giá</dt><dd>${response.period ?? '—'}</dd>
<dt>Nộp lúc</dt><dd>${formatVn(response.submitted_at)} qua ${CHANNEL_LABELS[response.channel] ?? response.channel}</dd>
<dt>Kết quả</dt><dd><strong>${levelLabel(flow, response.level, response.passed) ?? '—'}</strong>${response.score !== null && result?.maxScore ? ` — ${response.score}/${result.maxScore} điểm` : ''}</dd>
</dl>
${isCurrent ? '' : html`<p class="warn">Bản này đã được thay bằng một bản nộp mới hơn của đơn vị.</p>`}
${history.length > 1 ? html`<p>Các lần nộp của năm này: ${history.map((h, i) => html`${i > 0 ? ' · ' : ''}${h.id === response.id ? html`<strong>lần ${i + 1}</strong>` : html`<a href="/admin/submissions/${h.id}">lần ${i + 1}</a>`}`)}</p>` : ''}

<h2>Kết quả theo tiêu chí và chỉ tiêu</h2>
${
  result
    ? html`<table class="outcomes">
<thead><tr><th>Mã</th><th>Tiêu chí / chỉ tiêu</th><th>Kết quả</th><th>Chi tiết</th></tr></thead>
<tbody>${result.criteria.map(
        (cr) => html`<tr class="criterion"><td>${cr.id}</td><td>${cr.title}</td><td>${cr.met ? html`<span class="ok">Đạt</span>` : html`<span class="ko">Chưa đạt</span>`}</td><td>${cr.score !== null ? `${cr.score} điểm` : ''}</td></tr>
${result!.indicators
  .filter((i) => i.criterion === cr.id)
  .map(
    (i) => html`<tr><td>${i.id}</td><td>${i.title}</td><td>${!i.applicable ? html`<span class="muted">Không áp dụng</span>` : i.met ? html`<span class="ok">Đạt</span>` : html`<span class="ko">Chưa đạt</span>`}</td><td>${i.detail}${i.advice && i.applicable && !i.met ? html`<br><small>Gợi ý: ${i.advice}</small>` : ''}</td></tr>`,
  )}`,
      )}</tbody></table>`
    : html`<p>Không đọc được kết quả đã lưu.</p>`
}

<h2>Các câu trả lời</h2>
<table class="answers">
<thead><tr><th>#</th><th>Câu hỏi (như đã hỏi)</th><th>Trả lời</th><th>Lúc</th></tr></thead>
<tbody>${answers.map((a, i) => html`<tr><td>${i + 1}</td><td>${a.question_text}</td><td>${a.raw}</td><td>${formatVn(a.answered_at)}</td></tr>`)}</tbody>
</table>

<h2>Xét duyệt</h2>
${
  reviews.length === 0
    ? html`<p class="muted">Chưa có ý kiến xét duyệt.</p>`
    : html`<ul class="reviews">${reviews.map(
        (r) => html`<li><strong>${r.decision === 'approved' ? 'Đã duyệt' : 'Đã trả lại'}</strong> — ${formatVn(r.createdAt)} — ${r.reviewerEmail ?? 'tài khoản đã xóa'}${r.comment ? html`<br>${r.comment}` : ''}</li>`,
      )}</ul>`
}
${
  isCurrent
    ? html`<form method="post" action="/admin/submissions/${response.id}/review" class="card">
${csrfField(ctx)}
<input type="hidden" name="expected" value="${reviews.at(-1)?.id ?? 0}">
<fieldset><legend>Quyết định</legend>
<label class="inline"><input type="radio" name="decision" value="approve" required> Duyệt</label>
<label class="inline"><input type="radio" name="decision" value="return"> Trả lại để bổ sung</label>
</fieldset>
<label>Ghi chú (bắt buộc khi trả lại; được gửi tới đầu mối của đơn vị)<textarea name="comment" rows="4" maxlength="2000"></textarea></label>
<button type="submit">Ghi nhận</button>
</form>`
    : ''
}`;
    return c.html(page({ title: `Bản tự đánh giá — ${unit.name}`, ctx, active: 'roster', body }).value);
  });

  app.post('/submissions/:id/review', async (c) => {
    const ctx = c.get('admin');
    const s = load(ctx, c.req.param('id'));
    if (s.status === 404) return notFound(c);
    if (s.status === 403) return forbidden(c);
    if (!s.flow) return notFound(c);
    const parsed = reviewFormSchema.safeParse(await c.req.parseBody());
    if (!parsed.success) {
      const needsComment = parsed.error.issues.some((i) => i.path[0] === 'comment');
      return c.html(
        messagePage({
          title: 'Chưa ghi nhận',
          text: needsComment ? 'Khi trả lại, Anh/Chị vui lòng ghi rõ cần bổ sung, chỉnh sửa gì.' : 'Biểu mẫu không hợp lệ. Vui lòng thử lại.',
          ctx,
        }).value,
        400,
      );
    }
    const f = parsed.data;
    const outcome = reviewSubmission({
      store: deps.store,
      admin,
      responseId: s.response.id,
      expectedLastReview: f.expected,
      decision: f.decision === 'approve' ? 'approved' : 'returned',
      comment: f.comment === '' ? null : f.comment,
      reviewerId: ctx.account.id,
      flow: s.flow,
      unit: s.unit,
      now: clock(deps),
    });
    if (!outcome.ok) {
      return c.html(
        messagePage({
          title: 'Chưa ghi nhận',
          text:
            outcome.reason === 'stale'
              ? 'Bản nộp này vừa được xét duyệt (có thể do bấm hai lần hoặc do đồng nghiệp). Vui lòng tải lại trang để xem.'
              : 'Bản này không còn là bản nộp hiện hành của đơn vị.',
          ctx,
        }).value,
        409,
      );
    }
    deps.logger.info({ event: 'submission_reviewed', responseId: s.response.id, decision: f.decision, notified: outcome.notified }, 'submission reviewed');
    deps.wakeSender?.();
    return c.redirect(`/admin/submissions/${s.response.id}?ok=${f.decision === 'approve' ? 'approved' : 'returned'}`, 303);
  });
}
