import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/engine/commands.ts';
import { fold, formatNumberVi, parseDate, parseNumber } from '../../src/engine/vietnamese.ts';

describe('fold', () => {
  it('removes diacritics, case and punctuation; NFD and NFC fold the same', () => {
    expect(fold('Không')).toBe('khong');
    expect(fold('Đồng ý!')).toBe('dong y');
    expect(fold('  Rất   TỐT. ')).toBe('rat tot');
    const nfd = 'Có'.normalize('NFD');
    expect(nfd).not.toBe('Có');
    expect(fold(nfd)).toBe(fold('Có'));
  });

  it('answers the same for a text asked again, in a row or after others (it remembers the last one)', () => {
    const texts = ['Đồng ý!', 'Đồng ý!', 'Không', 'Đồng ý!', 'Không', 'Không', ' RẤT tốt ', ''];
    const expected = ['dong y', 'dong y', 'khong', 'dong y', 'khong', 'khong', 'rat tot', ''];
    expect(texts.map((t) => fold(t))).toEqual(expected);
    // The NFD form is another string: it is folded, not taken for the NFC one it looks like.
    expect(fold('Có')).toBe('co');
    expect(fold('Có'.normalize('NFD'))).toBe('co');
  });
});

describe('parseNumber', () => {
  it.each([
    ['12', 12],
    ['85,5', 85.5],
    ['85.5', 85.5],
    ['1.234', 1234],
    ['1 234', 1234],
    ['1.234.567', 1234567],
    ['1.234,5', 1234.5],
    ['1,234.5', 1234.5],
    ['0.125', 0.125],
    ['-3', -3],
    ['+7', 7],
  ])('%s → %d', (text, value) => {
    expect(parseNumber(text)).toMatchObject({ ok: true, value, percent: false });
  });

  it('reads a trailing % as a percentage', () => {
    expect(parseNumber('90%')).toEqual({ ok: true, value: 90, percent: true });
    expect(parseNumber('90,5 %')).toEqual({ ok: true, value: 90.5, percent: true });
  });

  it.each(['', 'abc', '1,2,3,4', '1..2', '12a', '.', ',5,', '1.23.4'])('rejects %j', (text) => {
    expect(parseNumber(text).ok).toBe(false);
  });
});

describe('parseDate', () => {
  it('accepts dd/mm/yyyy and d/m/yyyy with / - . separators', () => {
    expect(parseDate('25/11/2026')).toEqual({ ok: true, iso: '2026-11-25' });
    expect(parseDate('5/3/2026')).toEqual({ ok: true, iso: '2026-03-05' });
    expect(parseDate('05-03-2026')).toEqual({ ok: true, iso: '2026-03-05' });
    expect(parseDate('29.02.2024')).toEqual({ ok: true, iso: '2024-02-29' });
  });
  it.each(['29/02/2026', '31/04/2026', '00/01/2026', '12/13/2026', '2026-11-25', '25/11/26', 'mai'])('rejects %j', (t) => {
    expect(parseDate(t).ok).toBe(false);
  });
});

describe('formatNumberVi', () => {
  it('uses a decimal comma and dot thousands', () => {
    expect(formatNumberVi(1234.5)).toBe('1.234,5');
    expect(formatNumberVi(90)).toBe('90');
    expect(formatNumberVi(0.1 + 0.2)).toBe('0,3');
  });
});

describe('parseCommand', () => {
  it.each([
    ['/start', { name: 'start' }],
    ['/start@XhhtBot', { name: 'start' }],
    ['/start cong-dan-hoc-tap', { name: 'start', arg: 'cong-dan-hoc-tap' }],
    ['bắt đầu', { name: 'start' }],
    ['Bat dau', { name: 'start' }],
    ['/back', { name: 'back' }],
    ['quay lại', { name: 'back' }],
    ['sửa 3', { name: 'edit', n: 3 }],
    ['sua cau 12', { name: 'edit', n: 12 }],
    ['/sua 2', { name: 'edit', n: 2 }],
    ['sửa', { name: 'edit' }],
    ['/restart', { name: 'restart' }],
    ['làm lại', { name: 'restart' }],
    ['/help', { name: 'help' }],
    ['trợ giúp', { name: 'help' }],
    ['/cancel', { name: 'cancel' }],
    ['hủy', { name: 'cancel' }],
    ['huỷ', { name: 'cancel' }],
    ['xóa dữ liệu', { name: 'delete' }],
    ['/xoadulieu', { name: 'delete' }],
    ['xem kết quả', { name: 'result' }],
    ['xem lại', { name: 'summary' }],
    ['/nonsense', { name: 'unknown', raw: '/nonsense' }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it('leaves ordinary answers alone, including "đúng" (yes)', () => {
    for (const t of ['Có', 'đúng', '12', 'Rất tốt', 'Phường 1']) expect(parseCommand(t)).toBeUndefined();
  });
});
