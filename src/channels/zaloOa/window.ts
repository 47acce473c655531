/**
 * Zalo OA's messaging window for consultation messages ("tin tư vấn"), as configured: allowed until
 * `windowHours` after the person's last message to the OA (7 days), free during the first
 * `freeHours` (48 h), charged after that; outside it the API answers -230. Zalo has changed these
 * rules before (2022, 2023), so the numbers come from the configuration, not from here.
 */

export interface WindowRules {
  windowHours: number;
  freeHours: number;
}

export type WindowState =
  /** Never heard from the person (no stored person): a reply to their first message. */
  | { kind: 'unknown' }
  | { kind: 'free'; closesAt: Date }
  | { kind: 'paid'; closesAt: Date }
  | { kind: 'closed'; closedAt: Date };

const HOUR = 3_600_000;

export function windowOf(lastInboundAt: string | null | undefined, now: Date, rules: WindowRules): WindowState {
  if (!lastInboundAt) return { kind: 'unknown' };
  const last = Date.parse(lastInboundAt);
  if (!Number.isFinite(last)) return { kind: 'unknown' };
  const closesAt = new Date(last + rules.windowHours * HOUR);
  if (now >= closesAt) return { kind: 'closed', closedAt: closesAt };
  return now.getTime() < last + rules.freeHours * HOUR ? { kind: 'free', closesAt } : { kind: 'paid', closesAt };
}

export function windowOpen(lastInboundAt: string | null | undefined, now: Date, rules: WindowRules): boolean {
  const w = windowOf(lastInboundAt, now, rules);
  return w.kind !== 'closed';
}

/** When the window closes, if the person ever wrote. */
export function windowClosesAt(lastInboundAt: string | null | undefined, rules: WindowRules): Date | undefined {
  if (!lastInboundAt) return undefined;
  const last = Date.parse(lastInboundAt);
  return Number.isFinite(last) ? new Date(last + rules.windowHours * HOUR) : undefined;
}
