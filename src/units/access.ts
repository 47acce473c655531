import type { Flow } from '../flow/schema.ts';
import type { PersonRow, Store } from '../store/store.ts';
import type { Unit } from './types.ts';

/**
 * Which flows a person may start: the unit flows of the unit they represent first (so the numbers of
 * the registration message match the menu), then every citizen flow.
 */
export function flowsForPerson(store: Store, flows: Flow[], person: PersonRow | undefined): Flow[] {
  return flowsForUnit(flows, person ? unitOfPerson(store, person.id) : undefined);
}

function flowsForUnit(flows: Flow[], unit: Unit | undefined): Flow[] {
  const unitFlows = unit ? flows.filter((f) => unitFlowApplies(f, unit)) : [];
  return [...unitFlows, ...flows.filter((f) => f.audience === 'citizen')];
}

export function unitFlowApplies(flow: Flow, unit: Unit): boolean {
  return flow.audience === 'unit' && (!flow.unitTypes || flow.unitTypes.includes(unit.type));
}

export function unitOfPerson(store: Store, personId: number): Unit | undefined {
  const unitId = store.units.activeUnitOf(personId);
  const unit = unitId ? store.units.unit(unitId) : undefined;
  return unit?.active ? unit : undefined;
}

/** Facts unit flows may branch on. */
function contextOfUnit(unit: Unit | undefined): Record<string, string> {
  return unit ? { unit_id: unit.id, unit_type: unit.type, unit_tier: unit.tier, commune_code: unit.communeCode } : {};
}

/** What a person may start and the facts unit flows branch on, from one look-up of their unit. */
export function accessForPerson(store: Store, flows: Flow[], person: PersonRow | undefined): { flows: Flow[]; context: Record<string, string> } {
  const unit = person ? unitOfPerson(store, person.id) : undefined;
  return { flows: flowsForUnit(flows, unit), context: contextOfUnit(unit) };
}

/**
 * The calendar year a unit assessment is about. Dossiers for year N are due in January–February of
 * N+1 (TT 24/2023 Điều 10: before 15/01; TT 25/2023 Điều 9: before 28/02), so a submission made
 * before April assesses the previous year.
 */
export function assessedPeriod(vietnamDate: string): string {
  const year = Number(vietnamDate.slice(0, 4));
  const month = Number(vietnamDate.slice(5, 7));
  return String(month <= 3 ? year - 1 : year);
}

/** Communes (and wards, special zones) in force on a date, for questions of type "commune". */
export function communesInForce(store: Store, at: Date): Array<{ code: string; name: string }> {
  const day = at.toISOString().slice(0, 10);
  return store.units
    .adminUnits()
    .filter((a) => a.level === 'commune' && a.effectiveFrom <= day && (a.effectiveTo === null || a.effectiveTo >= day))
    .map((a) => ({ code: a.code, name: a.name }));
}
