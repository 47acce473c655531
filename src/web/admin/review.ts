import type { Output } from '../../engine/types.ts';
import type { Flow } from '../../flow/schema.ts';
import type { AdminStore, ReviewDecision } from '../../store/adminStore.ts';
import type { Store } from '../../store/store.ts';
import type { Unit } from '../../units/types.ts';

/**
 * A review of a unit's submission, and the notice to every focal point of the unit on their own
 * channel, in one transaction. A returned submission stays the current one until the unit submits
 * again; the notice carries a "menu" choice with the flow id, which the engine already understands
 * as "start this flow", so the engine needs no change.
 */

export type ReviewOutcome =
  | { ok: true; reviewId: number; notified: number }
  | { ok: false; reason: 'not_current' | 'stale' };

export function returnNotice(p: { flow: Flow; unit: Unit; period: string; comment: string }): Output {
  return {
    kind: 'message',
    text: [
      `Văn phòng thường trực đã TRẢ LẠI bản tự đánh giá "${p.flow.title}" năm ${p.period} của ${p.unit.name} để bổ sung, chỉnh sửa.`,
      '',
      `Ghi chú: ${p.comment}`,
      '',
      'Anh/Chị vui lòng làm lại phần tự đánh giá (bấm nút bên dưới hoặc gửi "bắt đầu"). Bản nộp mới sẽ thay thế bản đã trả lại.',
    ].join('\n'),
    choices: [{ id: p.flow.id, label: 'Làm lại bản tự đánh giá' }],
    scope: 'menu',
  };
}

export function approvalNotice(p: { flow: Flow; unit: Unit; period: string; comment: string | null }): Output {
  const lines = [`Bản tự đánh giá "${p.flow.title}" năm ${p.period} của ${p.unit.name} đã được Văn phòng thường trực DUYỆT.`];
  if (p.comment) lines.push('', `Ghi chú: ${p.comment}`);
  return { kind: 'message', text: lines.join('\n') };
}

export function reviewSubmission(p: {
  store: Store;
  admin: AdminStore;
  responseId: number;
  /** The latest review id the reviewer saw (0: none): a second click or a colleague's review is not repeated. */
  expectedLastReview: number;
  decision: ReviewDecision;
  comment: string | null;
  reviewerId: number;
  flow: Flow;
  unit: Unit;
  now: Date;
}): ReviewOutcome {
  const { store, admin } = p;
  const nowIso = p.now.toISOString();
  return store.transaction((): ReviewOutcome => {
    const response = store.getResponse(p.responseId);
    const current = response?.period ? store.units.currentSubmission(p.unit.id, p.flow.id, response.period) : undefined;
    if (!response || !current || current.id !== p.responseId) return { ok: false, reason: 'not_current' };
    const last = admin.reviewsOf(p.responseId).at(-1)?.id ?? 0;
    if (last !== p.expectedLastReview) return { ok: false, reason: 'stale' };
    const reviewId = admin.addReview({ responseId: p.responseId, decision: p.decision, comment: p.comment, reviewerId: p.reviewerId, now: nowIso });
    const notice =
      p.decision === 'returned'
        ? returnNotice({ flow: p.flow, unit: p.unit, period: response.period!, comment: p.comment ?? '' })
        : approvalNotice({ flow: p.flow, unit: p.unit, period: response.period!, comment: p.comment });
    const focalPoints = store.units.focalPointsOf(p.unit.id);
    for (const fp of focalPoints) {
      store.enqueue(
        {
          channel: fp.channel,
          chatId: fp.externalId,
          personId: fp.personId,
          kind: 'review',
          payload: JSON.stringify(notice),
          dedupeKey: `review:${reviewId}:${fp.personId}`,
        },
        nowIso,
      );
    }
    return { ok: true, reviewId, notified: focalPoints.length };
  });
}
