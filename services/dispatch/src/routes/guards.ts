import { COORDINATING_UNITS, hasScope, problems, type Principal } from '@yuqing/http-kit';

/** The opinion office and the leadership group coordinate for the whole bureau (plan §2). */
export function isCoordinator(p: Principal): boolean {
  return hasScope(p, 'admin') || (p.unitId !== undefined && COORDINATING_UNITS.has(p.unitId));
}

/**
 * Contact data (phones, e-mail addresses) is shown to directory editors, the
 * coordinating units and the person's own unit; others see names and roles only.
 */
export function seesContactsOf(p: Principal, unitId: string): boolean {
  return hasScope(p, 'directory:write') || isCoordinator(p) || p.unitId === unitId;
}

/** Whether the caller may see the deliveries and chasing record of a unit. */
export function assertMaySeeUnit(p: Principal, unitId: string): void {
  if (isCoordinator(p) || hasScope(p, 'directory:write') || p.unitId === unitId) return;
  throw problems.forbidden(`只能查看本单位情况 (you act for ${p.unitId ?? 'no unit'}, not ${unitId})`);
}

/** One field error, for 422s raised by hand. */
export function fieldError(field: string, message: string) {
  return { field, pointer: `/${field.split('.').join('/')}`, message };
}
