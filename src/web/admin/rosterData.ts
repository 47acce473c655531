import type { Flow } from '../../flow/schema.ts';
import type { DashboardStore } from '../../store/dashboardStore.ts';
import type { FocalPointRow } from '../../store/unitStore.ts';
import type { UnitType } from '../../units/types.ts';
import type { DeadlineInfo } from '../deps.ts';

/** Units × period with their reporting status, overdue units first. */

export const ROSTER_STATUSES = ['not_started', 'in_progress', 'returned', 'submitted', 'approved'] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];

export const STATUS_LABELS: Record<RosterStatus, string> = {
  not_started: 'Chưa bắt đầu',
  in_progress: 'Đang làm',
  returned: 'Đã trả lại',
  submitted: 'Đã nộp',
  approved: 'Đã duyệt',
};

export interface RosterEntry {
  unitId: string;
  unitName: string;
  unitType: UnitType;
  communeCode: string;
  flowId: string;
  flowTitle: string;
  status: RosterStatus;
  /** A returned submission whose focal point has started again. */
  redoing: boolean;
  responseId: number | null;
  submittedAt: string | null;
  levelLabel: string | null;
  focalPointChannels: string[];
  /** undefined: the reminders module does not know (shown as "—"). */
  overdue: boolean | undefined;
  lastReminderAt: string | undefined;
}

export function unitFlows(flows: Flow[]): Flow[] {
  return flows.filter((f) => f.audience === 'unit');
}

export function levelLabel(flow: Flow | undefined, level: string | null, passed: number | null): string | null {
  if (!flow) return level;
  if (flow.scoring.kind === 'passFail') {
    if (level === null) return passed === null ? null : 'Chưa đạt';
    return flow.scoring.levels.find((l) => l.id === level)?.title ?? level;
  }
  return passed === null ? null : passed ? 'Đạt' : 'Chưa đạt';
}

export function buildRoster(p: {
  dashboard: DashboardStore;
  flows: Flow[];
  focalPoints: FocalPointRow[];
  deadlines: DeadlineInfo | undefined;
  period: string;
  commune: string | null;
  type: UnitType | null;
  now: Date;
}): RosterEntry[] {
  const channelsByUnit = new Map<string, string[]>();
  for (const fp of p.focalPoints) {
    const list = channelsByUnit.get(fp.unitId) ?? [];
    list.push(fp.channel);
    channelsByUnit.set(fp.unitId, list);
  }
  const entries: RosterEntry[] = [];
  for (const flow of p.flows) {
    const rows = p.dashboard.roster({ flowId: flow.id, period: p.period, commune: p.commune, type: p.type, unitTypes: flow.unitTypes ?? null });
    for (const r of rows) {
      const status: RosterStatus =
        r.responseId === null
          ? r.inProgress
            ? 'in_progress'
            : 'not_started'
          : r.decision === 'approved'
            ? 'approved'
            : r.decision === 'returned'
              ? 'returned'
              : 'submitted';
      const key = { unitId: r.unitId, flowId: flow.id, period: p.period };
      entries.push({
        unitId: r.unitId,
        unitName: r.name,
        unitType: r.type as UnitType,
        communeCode: r.communeCode,
        flowId: flow.id,
        flowTitle: flow.title,
        status,
        redoing: status === 'returned' && r.inProgress,
        responseId: r.responseId,
        submittedAt: r.submittedAt,
        levelLabel: r.responseId === null ? null : levelLabel(flow, r.level, r.passed),
        focalPointChannels: channelsByUnit.get(r.unitId) ?? [],
        overdue: p.deadlines?.isOverdue({ ...key, now: p.now }),
        lastReminderAt: p.deadlines?.lastReminderAt(key),
      });
    }
  }
  const rank = (s: RosterStatus) => ROSTER_STATUSES.indexOf(s);
  return entries.sort(
    (a, b) =>
      Number(b.overdue === true) - Number(a.overdue === true) ||
      rank(a.status) - rank(b.status) ||
      a.communeCode.localeCompare(b.communeCode) ||
      a.unitName.localeCompare(b.unitName, 'vi'),
  );
}

export function countByStatus(entries: RosterEntry[]): Record<RosterStatus, number> {
  const counts = Object.fromEntries(ROSTER_STATUSES.map((s) => [s, 0])) as Record<RosterStatus, number>;
  for (const e of entries) counts[e.status]++;
  return counts;
}
