import type { Context } from 'hono';
import { z } from 'zod';
import type { Store } from '../../store/store.ts';
import { UNIT_TYPE_LABELS, UNIT_TYPES, type UnitType } from '../../units/types.ts';
import { assessedPeriod } from '../../units/access.ts';
import { vietnamDate } from '../../util/time.ts';
import { messagePage } from './layout.ts';
import type { AdminEnv } from './session.ts';

/** Pieces shared by the dashboard's pages: query validation, commune names, error pages. */

const blank = (v: unknown) => (v === '' ? undefined : v);
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());

export const communeCodeSchema = z.string().trim().regex(/^[A-Za-z0-9_.-]{1,40}$/);
export const flowIdSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,47}$/);
export const periodSchema = z.string().regex(/^\d{4}$/);
export const unitTypeSchema = z.enum(UNIT_TYPES);
export const unitIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/);

export const CHANNEL_LABELS: Record<string, string> = { telegram: 'Telegram', zalo: 'Zalo', web: 'Web', local: 'Máy chủ' };

export function badRequest(c: Context<AdminEnv>) {
  return c.html(messagePage({ title: 'Yêu cầu không hợp lệ', text: 'Tham số của trang không hợp lệ. Vui lòng chọn lại từ biểu mẫu.', ctx: c.get('admin') }).value, 400);
}

export function forbidden(c: Context<AdminEnv>) {
  return c.html(
    messagePage({ title: 'Không có quyền truy cập', text: 'Tài khoản của Anh/Chị chỉ xem được dữ liệu của xã, phường mình phụ trách.', ctx: c.get('admin') }).value,
    403,
  );
}

export function notFound(c: Context<AdminEnv>) {
  return c.html(messagePage({ title: 'Không tìm thấy', text: 'Không tìm thấy nội dung Anh/Chị yêu cầu.', ctx: c.get('admin') }).value, 404);
}

/** Commune code → name, from the administrative units (the code itself when unknown). */
export function communeNames(store: Store): Map<string, string> {
  return new Map(store.units.adminUnits().map((a) => [a.code, a.name]));
}

export function communeOptions(store: Store, unitCommunes: string[]): Array<{ value: string; label: string }> {
  const names = communeNames(store);
  const codes = new Set([...store.units.adminUnits().filter((a) => a.level === 'commune').map((a) => a.code), ...unitCommunes]);
  return [...codes]
    .map((code) => ({ value: code, label: names.get(code) ?? code }))
    .sort((a, b) => a.label.localeCompare(b.label, 'vi'));
}

export const unitTypeOptions = (): Array<{ value: UnitType; label: string }> => UNIT_TYPES.map((t) => ({ value: t, label: UNIT_TYPE_LABELS[t] }));

/** The period a submission made today would assess: the default of the roster. */
export const currentPeriod = (now: Date): string => assessedPeriod(vietnamDate(now));

export function periodOptions(known: string[], now: Date): Array<{ value: string; label: string }> {
  const current = Number(currentPeriod(now));
  const years = new Set([...known, String(current), String(current - 1)]);
  return [...years].sort().reverse().map((y) => ({ value: y, label: y }));
}

/** Parses a GET query with a zod schema; undefined when invalid (the caller answers 400). */
export function parseQuery<T extends z.ZodType>(c: Context<AdminEnv>, schema: T): z.output<T> | undefined {
  const parsed = schema.safeParse(c.req.query());
  return parsed.success ? parsed.data : undefined;
}
