import { z } from 'zod';

/** Reporting units (agencies, schools, enterprises, communes) and the administrative units they sit in. */

export const UNIT_TYPES = [
  'agency',
  'public_service',
  'economic',
  'school',
  'gdtx',
  'vocational',
  'higher_ed',
  'commune_pc',
  'other',
] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export const UNIT_TYPE_LABELS: Record<UnitType, string> = {
  agency: 'Cơ quan nhà nước',
  public_service: 'Đơn vị sự nghiệp công lập',
  economic: 'Tổ chức kinh tế',
  school: 'Cơ sở giáo dục phổ thông',
  gdtx: 'Trung tâm giáo dục thường xuyên',
  vocational: 'Cơ sở giáo dục nghề nghiệp',
  higher_ed: 'Cơ sở giáo dục đại học',
  commune_pc: 'Ủy ban nhân dân cấp xã',
  other: 'Đơn vị khác',
};

/** The tier a unit is assessed at: managed by a commune, or by the province. */
export const TIERS = ['commune', 'province'] as const;
export type Tier = (typeof TIERS)[number];

export const TIER_LABELS: Record<Tier, string> = { commune: 'cấp xã quản lý', province: 'cấp tỉnh quản lý' };

export interface Unit {
  id: string;
  name: string;
  type: UnitType;
  tier: Tier;
  communeCode: string;
  active: boolean;
}

export const unitRowSchema = z.strictObject({
  id: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'id: 1-40 characters of A-Z a-z 0-9 _ . -'),
  name: z.string().trim().min(1, 'name: must not be empty').max(200, 'name: at most 200 characters'),
  type: z.enum(UNIT_TYPES, { message: `type: must be one of ${UNIT_TYPES.join(', ')}` }),
  tier: z.enum(TIERS, { message: 'tier: must be commune or province' }),
  commune_code: z.string().trim().min(1, 'commune_code: must not be empty'),
  active: z
    .enum(['', '1', '0', 'true', 'false', 'yes', 'no'], { message: 'active: must be true or false' })
    .optional()
    .transform((v) => v === undefined || v === '' || ['1', 'true', 'yes'].includes(v)),
});

export interface AdminUnit {
  code: string;
  name: string;
  level: 'province' | 'commune';
  parentCode: string | null;
  effectiveFrom: string;
  effectiveTo: string | null;
  /** Only for records from before the two-tier reform of 1 July 2025. */
  legacyDistrict: string | null;
}

export const adminUnitRowSchema = z.strictObject({
  code: z.string().trim().min(1),
  name: z.string().trim().min(1),
  level: z.enum(['province', 'commune']),
  parent_code: z.string().trim().optional().transform((v) => (v ? v : null)),
  effective_from: z.iso.date(),
  effective_to: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : null))
    .pipe(z.union([z.iso.date(), z.null()])),
  legacy_district: z.string().trim().optional().transform((v) => (v ? v : null)),
});
