import { DIRECTORY_GROUP_LABELS, ROLE_LABELS, TOPIC_LABELS, UNIT_KIND_LABELS, type PersonRow, type UnitRow } from '@yuqing/shared';
import type { GroupMember } from './group.repository';
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

/** A shift on a unit's duty roster. */
export function shiftView(s: {
  id: string | number;
  unitId: string;
  personId: string;
  personName?: string;
  startsAt: Date;
  endsAt: Date;
  note: string | null;
  createdBy: string;
}) {
  return {
    id: String(s.id),
    unitId: s.unitId,
    personId: s.personId,
    ...(s.personName ? { personName: s.personName } : {}),
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    note: s.note,
    createdBy: s.createdBy,
  };
}

export function onDutyView(d: OnDutyPerson) {
  return { personId: d.personId, name: d.name, title: d.title, via: d.via, ...(d.until ? { until: d.until.toISOString() } : {}) };
}

/** A member of the expert pool or the commentator team; an outside contact's contacts only `withContacts`. */
export function memberView(m: GroupMember, withContacts: boolean) {
  return {
    id: m.id,
    group: m.group,
    groupLabel: DIRECTORY_GROUP_LABELS[m.group],
    kind: m.personId ? ('person' as const) : ('contact' as const),
    personId: m.personId,
    name: m.personName ?? m.name ?? '',
    organisation: m.organisation,
    title: m.personId ? m.personTitle : m.title,
    unitId: m.personId ? m.personUnitId : m.unitId,
    topics: m.topics,
    topicLabels: m.topics.map((t) => TOPIC_LABELS[t]),
    expertise: m.expertise,
    note: m.note,
    ...(withContacts && !m.personId ? { contacts: m.contacts } : {}),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

/** A member as the audit log keeps it: which contact kinds, never the contacts. */
export function memberAudit(m: GroupMember) {
  return { ...memberView(m, false), contactKinds: Object.keys(m.contacts).sort() };
}
