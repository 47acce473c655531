import type { Flow } from '../flow/schema.ts';
import type { FlowResult } from './types.ts';
import { formatNumberVi } from './vietnamese.ts';

/** Every sentence the engine says. Polite register ("Anh/Chị"), full diacritics. */

export const CONSENT_VERSION = '2026-11';

export const consentText = (purposes: string) =>
  [
    'Xin chào Anh/Chị! Đây là trợ lý hưởng ứng phong trào "Cả nước thi đua xây dựng xã hội học tập, đẩy mạnh học tập suốt đời giai đoạn 2023–2030".',
    '',
    `Để ${purposes}, bot sẽ lưu các câu trả lời của Anh/Chị cùng mã tài khoản nhắn tin. ` +
      'Dữ liệu chỉ dùng cho công tác tổng hợp của Hội Khuyến học và ngành Giáo dục, không chia sẻ cho mục đích khác. ' +
      'Anh/Chị có thể xóa toàn bộ dữ liệu bất cứ lúc nào bằng lệnh "xóa dữ liệu".',
    '',
    'Anh/Chị có đồng ý không?',
  ].join('\n');

export const CONSENT_PURPOSE = 'tự đánh giá theo bộ tiêu chí và nhận kết quả kèm gợi ý học tập';

export const consentChoices = [
  { id: 'agree', label: 'Đồng ý' },
  { id: 'decline', label: 'Không đồng ý' },
];

export const consentDeclined =
  'Cảm ơn Anh/Chị. Bot không lưu bất kỳ thông tin nào của Anh/Chị. Khi muốn tham gia, Anh/Chị chỉ cần gửi "bắt đầu".';

export const consentThanks = 'Cảm ơn Anh/Chị đã đồng ý.';

export const helpText = (flows: Flow[]) =>
  [
    'Các lệnh Anh/Chị có thể dùng:',
    '• "bắt đầu" (/start): bắt đầu hoặc tiếp tục phần tự đánh giá',
    '• "quay lại" (/back): quay về câu hỏi trước',
    '• "sửa 3": sửa câu trả lời số 3',
    '• "xem lại" (/summary): xem các câu đã trả lời',
    '• "làm lại" (/restart): làm lại từ đầu',
    '• "hủy" (/cancel): dừng phần đang làm',
    '• "xem kết quả" (/ketqua): xem lại kết quả gần nhất',
    '• "xóa dữ liệu" (/xoadulieu): xóa toàn bộ dữ liệu của Anh/Chị',
    '• "trợ giúp" (/help): xem hướng dẫn này',
    ...(flows.length > 1 ? ['', 'Các phần tự đánh giá hiện có:', ...flows.map((f, i) => `${i + 1}. ${f.title}`)] : []),
  ].join('\n');

export const restrictedFlowText = (flow: Flow) =>
  `Phần "${flow.title}" dành cho đầu mối của đơn vị. Để đăng ký làm đầu mối, Anh/Chị gửi "đăng ký <mã mời>" ` +
  '(mã mời do Văn phòng thường trực xã hội học tập cấp cho đơn vị), ví dụ: đăng ký ABCD-EFGH.';

export const unknownCommand = (cmd: string) =>
  `Xin lỗi, bot chưa hiểu lệnh "${cmd}". Gõ "trợ giúp" (/help) để xem các lệnh có thể dùng.`;

export const unsupportedInFlow =
  'Xin lỗi, bot chỉ đọc được tin nhắn chữ. Anh/Chị vui lòng trả lời bằng cách gõ chữ hoặc chọn một phương án.';

export const noFlowInProgress = 'Hiện Anh/Chị không có phần tự đánh giá nào đang làm dở. Gõ "bắt đầu" để bắt đầu.';

export const chooseFlowText = 'Anh/Chị muốn làm phần tự đánh giá nào?';

export const resumeText = (flow: Flow) => `Anh/Chị đang làm dở phần "${flow.title}". Mời Anh/Chị tiếp tục:`;

export const flowChangedText = (flow: Flow) =>
  `Bộ câu hỏi "${flow.title}" vừa được cập nhật. Các câu trả lời còn phù hợp đã được giữ lại; mời Anh/Chị tiếp tục:`;

export const cancelledText = 'Đã dừng phần tự đánh giá. Các câu trả lời chưa gửi sẽ không được tính. Gõ "bắt đầu" khi Anh/Chị muốn làm lại.';

export const restartConfirmText = 'Anh/Chị có chắc muốn làm lại từ đầu không? Các câu đã trả lời của lần này sẽ bị bỏ.';

export const restartedText = 'Đã bắt đầu lại từ đầu.';

export const deleteConfirmText =
  'Anh/Chị có chắc muốn xóa toàn bộ dữ liệu của mình (các câu trả lời, kết quả và sự đồng ý) không? Việc này không thể hoàn tác.';

export const deletedText =
  'Đã xóa toàn bộ dữ liệu của Anh/Chị. Cảm ơn Anh/Chị đã tham gia. Nếu muốn tham gia lại, Anh/Chị gửi "bắt đầu".';

export const keptText = 'Đã giữ nguyên. Mời Anh/Chị tiếp tục.';

export const yesNoChoices = [
  { id: 'yes', label: 'Có' },
  { id: 'no', label: 'Không' },
];

export const noPreviousQuestion = 'Đây là câu hỏi đầu tiên, không có câu trước để quay lại.';

export const editOutOfRange = (n: number) =>
  `Không có câu số ${n} trong danh sách đã trả lời. Gõ "xem lại" để xem số thứ tự các câu.`;

export const editHowTo = 'Để sửa một câu, gõ "sửa" kèm số thứ tự câu, ví dụ: sửa 3.';

export const staleButtonText =
  'Nút này thuộc một câu hỏi đã qua nên bot không ghi nhận. Để sửa câu trả lời cũ, gõ "sửa" kèm số câu (ví dụ: sửa 3) hoặc "xem lại".';

export const summaryHeader = (flow: Flow) => `Tóm tắt câu trả lời — ${flow.title}:`;

export const summaryFooter =
  'Anh/Chị kiểm tra lại. Chọn "Gửi" để nộp và xem kết quả, hoặc gõ "sửa <số câu>" để sửa (ví dụ: sửa 2).';

export const summaryChoices = [
  { id: 'submit', label: 'Gửi' },
  { id: 'edit', label: 'Sửa một câu' },
];

export const invalidAnswerPrefix = 'Xin lỗi, câu trả lời chưa hợp lệ.';

export const noResultYet = 'Anh/Chị chưa có kết quả nào. Gõ "bắt đầu" để làm phần tự đánh giá.';

export const emptyText = 'Bot chưa nhận được nội dung. Anh/Chị vui lòng gõ câu trả lời.';

/** The explained result: every indicator, the points or the reason, and one next step for each gap. */
export function resultText(flow: Flow, r: FlowResult): string {
  const lines: string[] = [];
  lines.push(`KẾT QUẢ — ${flow.title}`);
  if (flow.scoring.kind === 'points') {
    lines.push(`Tổng điểm: ${formatNumberVi(r.score ?? 0)}/${formatNumberVi(r.maxScore ?? 0)}.`);
    lines.push(
      r.passed
        ? `Anh/Chị ĐẠT mức tiêu chí (từ ${flow.scoring.pass.minTotal} điểm trở lên và không có chỉ số nào dưới ${flow.scoring.pass.minPerIndicator} điểm).`
        : `Anh/Chị CHƯA ĐẠT mức tiêu chí (cần từ ${flow.scoring.pass.minTotal} điểm trở lên và không có chỉ số nào dưới ${flow.scoring.pass.minPerIndicator} điểm).`,
    );
  } else {
    const levels = flow.scoring.levels;
    const reached = levels.find((l) => l.id === r.level);
    const next = reached ? levels[levels.indexOf(reached) + 1] : levels[0];
    lines.push(reached ? `Kết quả: ĐẠT ${reached.title.toUpperCase()}.` : `Kết quả: CHƯA ĐẠT ${levels[0]?.title.toUpperCase() ?? ''}.`);
    if (next) lines.push(`Dưới đây là từng chỉ tiêu so với yêu cầu của ${next.title.toLowerCase()}:`);
  }
  for (const c of r.criteria) {
    lines.push('');
    const cScore = c.score !== null ? ` — ${formatNumberVi(c.score)} điểm` : '';
    lines.push(`${c.met ? '✅' : '⚠️'} ${c.title}${cScore}`);
    for (const i of r.indicators.filter((x) => x.criterion === c.id)) {
      const mark = !i.applicable ? '➖' : i.met ? '✔' : '✘';
      lines.push(`  ${mark} ${i.id} ${i.title}: ${i.detail}`);
      if (i.advice && i.applicable) lines.push(`     → Gợi ý: ${i.advice}`);
    }
  }
  if (flow.provisional) {
    lines.push('');
    lines.push(
      'Lưu ý: đây là bản tự đánh giá để tham khảo, xây dựng từ các nguồn công khai của bộ tiêu chí. ' +
        'Việc đánh giá, công nhận chính thức do Hội Khuyến học cơ sở (xã, phường) thực hiện.',
    );
  }
  if (flow.outro) {
    lines.push('');
    lines.push(flow.outro.trim());
  }
  return lines.join('\n');
}
