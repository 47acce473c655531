import ExcelJS from 'exceljs';
import type { FlowResult } from '../engine/types.ts';
import type { Flow } from '../flow/schema.ts';
import type { Store } from '../store/store.ts';
import { formatVietnamDateTime } from '../util/time.ts';
import { TIER_LABELS, UNIT_TYPE_LABELS } from './types.ts';

/**
 * "Bản tổng hợp kết quả tự đánh giá": criterion by criterion, indicator by indicator, for a unit
 * submission — the table the dossier needs (TT 24/2023 Điều 10, TT 25/2023 Điều 9).
 */
export async function writeSubmissionSummary(store: Store, flows: Flow[], responseId: number, file: string): Promise<void> {
  const response = store.getResponse(responseId);
  if (!response || response.status !== 'submitted' || !response.result) throw new Error(`no submitted response with id ${responseId}`);
  const flow = flows.find((f) => f.id === response.flow_id);
  if (!flow) throw new Error(`flow "${response.flow_id}" of response ${responseId} is not loaded`);
  const result = JSON.parse(response.result) as FlowResult;
  const unit = response.unit_id ? store.units.unit(response.unit_id) : undefined;
  const commune = unit ? store.units.adminUnit(unit.communeCode) : undefined;

  const wb = new ExcelJS.Workbook();
  wb.creator = 'xhht-bot';
  const ws = wb.addWorksheet('Tổng hợp', { pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1 } });
  ws.columns = [{ width: 10 }, { width: 60 }, { width: 14 }, { width: 60 }, { width: 28 }];
  const title = ws.addRow(['BẢN TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ']);
  title.font = { bold: true, size: 14 };
  ws.mergeCells(title.number, 1, title.number, 5);
  ws.addRow([flow.title]).font = { bold: true };
  ws.addRow(['Đơn vị:', unit ? `${unit.name} (${UNIT_TYPE_LABELS[unit.type]}, ${TIER_LABELS[unit.tier]})` : '—']);
  ws.addRow(['Địa bàn:', commune?.name ?? unit?.communeCode ?? '—']);
  ws.addRow(['Năm đánh giá:', response.period ?? '—']);
  ws.addRow(['Ngày gửi:', response.submitted_at ? formatVietnamDateTime(new Date(response.submitted_at)) : '—']);
  const levels = flow.scoring.kind === 'passFail' ? flow.scoring.levels : [];
  const reached = levels.find((l) => l.id === result.level);
  ws.addRow([
    'Kết quả:',
    flow.scoring.kind === 'points'
      ? `${result.score ?? 0}/${result.maxScore ?? 0} điểm — ${result.passed ? 'Đạt' : 'Chưa đạt'}`
      : reached
        ? `Đạt ${reached.title}`
        : `Chưa đạt ${levels[0]?.title ?? ''}`,
  ]).font = { bold: true };
  ws.addRow([]);
  const header = ws.addRow(['Mã', 'Tiêu chí / chỉ tiêu', 'Kết quả', 'Căn cứ đánh giá (số liệu, minh chứng)', 'Căn cứ pháp lý']);
  header.font = { bold: true };
  header.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF7' } };
    c.border = { bottom: { style: 'thin' } };
  });
  const sourceTitle = (id: string) => flow.sources.find((s) => s.id === id)?.title ?? id;
  for (const criterion of flow.criteria) {
    const outcome = result.criteria.find((c) => c.id === criterion.id);
    const row = ws.addRow([criterion.id, criterion.title, outcome?.met ? 'Đạt' : 'Không đạt', '', `${criterion.cite.clause}, ${sourceTitle(criterion.cite.source)}`]);
    row.font = { bold: true };
    for (const ind of flow.indicators.filter((i) => i.criterion === criterion.id)) {
      const o = result.indicators.find((x) => x.id === ind.id);
      const status = !o || !o.applicable ? 'Không áp dụng' : o.met ? 'Đạt' : 'Không đạt';
      ws.addRow([ind.id, ind.title, status, o?.detail ?? '', ind.cite.clause]);
    }
  }
  ws.getColumn(2).alignment = { wrapText: true, vertical: 'top' };
  ws.getColumn(4).alignment = { wrapText: true, vertical: 'top' };
  await wb.xlsx.writeFile(file);
}
