import { ROLE_LABELS, UNIT_KIND_LABELS, type PersonRow, type UnitRow } from '@yuqing/shared';
import type { OnDutyPerson } from './duty.repository';

export function unitView(u: UnitRow) {
  return {
    id: u.id,
    kind: u.kind,
    kindLabel: UNIT_KIND_LABELS[u.kind],
    name: u.name,
    parentId: u.parentId,
    districtCode: u.districtCode,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export function personView(p: PersonRow, withContacts: boolean) {
  return {
    id: p.id,
    unitId: p.unitId,
    name: p.name,
    title: p.title,
    roles: p.roles,
    roleLabels: p.roles.map((r) => ROLE_LABELS[r]),
    onDuty: p.onDuty,
    ...(withContacts ? { contacts: p.contacts } : {}),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** A person as the audit log keeps it: which contact kinds they have, never the contacts. */
export function personAudit(p: PersonRow) {
  return { id: p.id, unitId: p.unitId, name: p.name, title: p.title, roles: p.roles, onDuty: p.onDuty, contactKinds: Object.keys(p.contacts).sort() };
}

export function onDutyView(d: OnDutyPerson) {
  return { personId: d.personId, name: d.name, title: d.title, via: d.via, ...(d.until ? { until: d.until.toISOString() } : {}) };
}
