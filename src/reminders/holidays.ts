import { Lunar } from 'lunar-typescript';
import { addDays } from './dates.ts';

/**
 * Days on which no reminder is sent: Tết Nguyên đán (from the lunar calendar) and configured dates.
 *
 * Limitation: lunar-typescript computes the Chinese calendar (new moons reckoned at UTC+8), while
 * the Vietnamese calendar reckons them at UTC+7. The two agree on Tết in 2024–2030 (tested), but
 * differ in a few years (2007: Vietnam 17/02, China 18/02; 1985). No well-kept, auditable Vietnamese
 * implementation exists on npm, so a province can pin a year's Tết with `tet.overrides`.
 */

export interface BlackoutSettings {
  tet: { daysBefore: number; daysAfter: number; overrides: Record<string, string> };
  blackoutDates: string[];
}

export type BlackoutReason = 'tet' | 'configured';
export type BlackoutCheck = (date: string) => BlackoutReason | undefined;

/** The Gregorian date of mùng 1 Tết of lunar year `year` (which starts in January or February of it). */
export function tetDate(year: number, overrides: Record<string, string> = {}): string {
  const pinned = overrides[String(year)];
  if (pinned) return pinned;
  const solar = Lunar.fromYmd(year, 1, 1).getSolar();
  return `${solar.getYear()}-${String(solar.getMonth()).padStart(2, '0')}-${String(solar.getDay()).padStart(2, '0')}`;
}

export function createBlackoutCheck(settings: BlackoutSettings): BlackoutCheck {
  const configured = new Set(settings.blackoutDates);
  const tetDays = new Map<number, Set<string>>();
  const tetOf = (year: number): Set<string> => {
    let days = tetDays.get(year);
    if (!days) {
      const first = tetDate(year, settings.tet.overrides);
      days = new Set<string>();
      for (let i = -settings.tet.daysBefore; i <= settings.tet.daysAfter; i++) days.add(addDays(first, i));
      tetDays.set(year, days);
    }
    return days;
  };
  return (date) => {
    const year = Number(date.slice(0, 4));
    if (tetOf(year).has(date) || tetOf(year + 1).has(date)) return 'tet';
    if (configured.has(date)) return 'configured';
    return undefined;
  };
}
