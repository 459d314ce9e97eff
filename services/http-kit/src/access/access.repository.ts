import { isRole, isTopic, PERSONAL_ROLES, type Db, type DistrictCode, type Role, type Topic, type UnitKind } from '@yuqing/shared';

/** A unit as access decisions see it: its kind, district and parent. */
export interface UnitFacts {
  readonly id: string;
  readonly kind: UnitKind;
  readonly districtCode: DistrictCode | null;
  readonly parentId: string | null;
}

/** The units that coordinate for the whole bureau (plan §2), as the routing rules name them. */
export interface CoordinatingUnits {
  /** The opinion office (舆情办): holds the role `opinion_office`. */
  readonly office: string | undefined;
  /** The leadership group (领导小组): holds the role `leadership_group`. */
  readonly leadership: string | undefined;
}

/** Roles a unit plays by its kind, whoever is on duty there. */
function kindRoles(kind: UnitKind): Role[] {
  if (kind === 'district_bureau' || kind === 'station') return ['district_bureau'];
  if (kind === 'department' || kind === 'affiliated') return ['responsible_department'];
  return [];
}

const CACHE_MS = 10_000;

/** What access decisions read from the directory (the repository below, or a fake in a unit test). */
export interface AccessFacts {
  readonly db: Db;
  coordinatingUnits(): Promise<CoordinatingUnits>;
  unit(id: string): Promise<UnitFacts | undefined>;
  topicsOf(unitId: string): Promise<Topic[]>;
  unitRoles(unitId: string): Promise<Role[]>;
  person(id: string): Promise<{ id: string; unitId: string; roles: Role[] } | undefined>;
}

/**
 * The directory facts access decisions need, read from the tables the directory
 * editors maintain (never literals), with a short cache: an edit applies
 * everywhere within 10 s, like a key's revocation.
 */
export class AccessRepository implements AccessFacts {
  private coordinating: { value: CoordinatingUnits; expires: number } | undefined;
  private readonly units = new Map<string, { value: UnitFacts | undefined; expires: number }>();

  constructor(readonly db: Db) {}

  async coordinatingUnits(): Promise<CoordinatingUnits> {
    if (this.coordinating && this.coordinating.expires > Date.now()) return this.coordinating.value;
    const rules = await this.db
      .selectFrom('routingRules')
      .select(['match', 'unitId'])
      .where('kind', '=', 'role')
      .where('match', 'in', ['opinion_office', 'leadership_group'])
      .execute();
    const value = { office: rules.find((r) => r.match === 'opinion_office')?.unitId, leadership: rules.find((r) => r.match === 'leadership_group')?.unitId };
    this.coordinating = { value, expires: Date.now() + CACHE_MS };
    return value;
  }

  async unit(id: string): Promise<UnitFacts | undefined> {
    const cached = this.units.get(id);
    if (cached && cached.expires > Date.now()) return cached.value;
    const row = await this.db
      .selectFrom('units as u')
      .leftJoin('units as parent', 'parent.id', 'u.parentId')
      .select(['u.id', 'u.kind', 'u.districtCode', 'u.parentId', 'parent.districtCode as parentDistrict'])
      .where('u.id', '=', id)
      .executeTakeFirst();
    const value = row ? { id: row.id, kind: row.kind, districtCode: row.districtCode ?? row.parentDistrict, parentId: row.parentId } : undefined;
    if (this.units.size > 5_000) this.units.clear();
    this.units.set(id, { value, expires: Date.now() + CACHE_MS });
    return value;
  }

  /** The topics routed to a unit: a department's line of business. */
  async topicsOf(unitId: string): Promise<Topic[]> {
    const rows = await this.db.selectFrom('routingRules').select('match').where('kind', '=', 'topic').where('unitId', '=', unitId).execute();
    return rows.map((r) => r.match).filter(isTopic);
  }

  /**
   * The roles a unit plays: by its kind (a district bureau, a department) and the
   * roles routed to it (the office's `opinion_office`, 法规处's `legal_affairs`),
   * without the roles only a person holds (leaders, the office director).
   */
  async unitRoles(unitId: string): Promise<Role[]> {
    const unit = await this.unit(unitId);
    if (!unit) return [];
    const routed = await this.db.selectFrom('routingRules').select('match').where('kind', '=', 'role').where('unitId', '=', unitId).execute();
    return [...new Set([...kindRoles(unit.kind), ...routed.map((r) => r.match).filter(isRole)])].filter((r) => !PERSONAL_ROLES.includes(r));
  }

  async person(id: string): Promise<{ id: string; unitId: string; roles: Role[] } | undefined> {
    const row = await this.db.selectFrom('persons').select(['id', 'unitId', 'roles']).where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, unitId: row.unitId, roles: row.roles } : undefined;
  }
}
