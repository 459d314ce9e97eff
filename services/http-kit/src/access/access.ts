/**
 * Who may do what, decided in one place (plan §2: "whoever is in charge is
 * responsible"). Every route asks `requireAccess(access, principal, permission,
 * target)`; the workflow's Update validators then apply the rules that depend on
 * an incident's state (who owns a task, who already approved).
 *
 * - Scopes (on the key) say which kinds of call a key makes at all; this module
 *   says on what: units, people, incidents.
 * - A city administrator is a key with the `admin` scope: it edits units, routing
 *   and the city policy, and sees everything, but takes no step of an incident and
 *   gives no approval: steps are taken by people and units.
 * - A key of a person or unit manages only its own unit (and its stations): its
 *   people, their keys, its channels, its duty roster, its district's local plan;
 *   it grants no role it does not hold (except naming its own information officer,
 *   舆情信息员), and leaders' roles are granted by the city's administrators only.
 * - The coordinating units (the opinion office and the leadership group) are the
 *   units the routing rules give the roles `opinion_office` and `leadership_group`.
 *   They see every incident and make the decisions on it (tier, closing); the office
 *   may act for another unit only with an explicit 代办 and its reason.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import {
  PERSONAL_ROLES,
  ROLE_LABELS,
  STAFF_ROLES,
  type Database,
  type DirectoryGroup,
  type DistrictCode,
  type PolicyScope,
  type Role,
  type Scope,
  type Topic,
} from '@yuqing/shared';
import { hasScope, type Principal } from '../auth';
import { problems } from '../problem';
import type { AccessFacts } from './access.repository';

/** Roles whose holders see every incident wherever their unit sits. */
const BUREAU_WIDE_ROLES: ReadonlySet<Role> = new Set(['leader', 'deputy_leader', 'leader_in_charge', 'leadership_group', 'opinion_office', 'office_director']);

/** What each permission is asked about. */
export interface AccessTargets {
  /** Report an incident for a district (intake). */
  'incident.report': { readonly districtCode: DistrictCode | undefined };
  /** Read an incident, its tasks, timeline, digest, archive. */
  'incident.read': { readonly incidentId: string };
  /**
   * Take a step (签收, 反馈, complete a task, release): for one's own unit, or, with
   * `proxy` (代办), the office for another unit. `unitId` is the unit named by the
   * caller, if any; the workflow checks the step is that unit's.
   */
  'incident.act': { readonly incidentId: string; readonly unitId: string | undefined; readonly proxy: boolean };
  /** Approve as `role` (审批/审定/签转): a person holding the role. */
  'incident.approve': { readonly incidentId: string; readonly role: Role };
  /** Decide on the incident: raise or lower its tier, end handling. */
  'incident.coordinate': { readonly incidentId: string };
  /** End handling although mandatory steps are open (强制结束). */
  'incident.forceClose': { readonly incidentId: string };
  /** Hand a unit's part to another unit (改派), or refuse a unit's request to: the opinion office decides. */
  'incident.reassign': { readonly incidentId: string };
  /** Ask the office to hand one's own unit's part on ("not ours", 申请移交). */
  'incident.handOff': { readonly incidentId: string };
  /** Decide, after tracking, that follow-up talking points are needed (plan §7(三)): the leadership group. */
  'incident.renewTalkingPoints': { readonly incidentId: string };
  /** Correct how reports are grouped: merge an incident into another (`otherIncidentId`), or split reports out (issue 15). */
  'incident.correct': { readonly incidentId: string; readonly otherIncidentId: string | undefined };
  /** Bureau-wide views: statistics across districts, the live stream, every unit's record. */
  'bureau.view': Record<string, never>;
  /** A unit's tasks, chasing record and deliveries. */
  'unit.records': { readonly unitId: string };
  /** Create, rename, move or remove units. */
  'unit.edit': { readonly unitId: string };
  /** A unit's duty roster. */
  'duty.edit': { readonly unitId: string };
  /** Add, change or remove a person of `unitId`, granting (or taking away) `roles`. */
  'person.edit': { readonly unitId: string; readonly roles: readonly Role[] };
  /** Issue or revoke a personal key for a person of `unitId` with `scopes`. */
  /** `roles`: the person's roles, when a key that acts as them is issued (listing or revoking needs none). */
  'key.issue': { readonly unitId: string; readonly scopes: readonly Scope[]; readonly roles?: readonly Role[] };
  /**
   * Open, change or close a person's sign-in account, issue its activation link
   * (which sets the password, so whoever holds it is that person), or end its
   * sessions: `scopes` the account has or gets, `roles` the person holds.
   */
  'account.issue': { readonly unitId: string; readonly scopes: readonly Scope[]; readonly roles: readonly Role[] };
  /** A unit's (or its people's) notification channels. */
  'channel.edit': { readonly unitId: string };
  /** Put a unit's dead letter back in its queue. */
  'delivery.retry': { readonly unitId: string };
  /** The routing rules. */
  'routing.edit': Record<string, never>;
  /** Record the outcome of an accountability record (问责: 约谈/通报/免责) kept against `unitId`. */
  'accountability.decide': { readonly unitId: string | null };
  /** The bureau's release channels (两微一端): add, rename, re-address, retire. */
  'release_channel.edit': Record<string, never>;
  /** Add, change or remove members of the expert pool or the commentator team (plan §8(二)). */
  'group.edit': { readonly group: DirectoryGroup };
  /** Publish a policy version: `city`, or a district code for its local plan. */
  'policy.publish': { readonly scope: PolicyScope };
}
export type Permission = keyof AccessTargets;
/** Every permission, for the access table in RELIABILITY.md and the tests that walk it. */
export const PERMISSIONS = [
  'incident.report',
  'incident.read',
  'incident.act',
  'incident.approve',
  'incident.coordinate',
  'incident.forceClose',
  'incident.reassign',
  'incident.handOff',
  'incident.renewTalkingPoints',
  'incident.correct',
  'bureau.view',
  'unit.records',
  'unit.edit',
  'duty.edit',
  'person.edit',
  'key.issue',
  'account.issue',
  'channel.edit',
  'delivery.retry',
  'routing.edit',
  'group.edit',
  'release_channel.edit',
  'accountability.decide',
  'policy.publish',
] as const satisfies readonly Permission[];

/**
 * What part of the incidents a caller reaches: leaders, the office and the city's
 * administrators all; a district bureau (and its stations) its district; a
 * department its line of business (the topics routed to it); any unit the incidents
 * assigned to it; a system client the incidents it reported.
 */
export type Reach =
  | { readonly all: true }
  | {
      readonly all: false;
      readonly districtCodes: readonly DistrictCode[];
      readonly topics: readonly Topic[];
      readonly unitId?: string;
      readonly clientId: string;
    };

export const isCityAdmin = (p: Principal): boolean => hasScope(p, 'admin');

export async function isCoordinator(access: AccessFacts, p: Principal): Promise<boolean> {
  if (!p.unitId) return false;
  const { office, leadership } = await access.coordinatingUnits();
  return p.unitId === office || p.unitId === leadership;
}

export async function reachOf(access: AccessFacts, p: Principal): Promise<Reach> {
  if (isCityAdmin(p) || (await isCoordinator(access, p)) || p.roles.some((r) => BUREAU_WIDE_ROLES.has(r))) return { all: true };
  const base = { all: false as const, clientId: p.id, ...(p.unitId ? { unitId: p.unitId } : {}) };
  if (!p.unitId) return { ...base, districtCodes: [], topics: [] };
  const [unit, topics] = await Promise.all([access.unit(p.unitId), access.topicsOf(p.unitId)]);
  return { ...base, districtCodes: unit?.districtCode ? [unit.districtCode] : [], topics };
}

/** A where-clause on `incidents` that keeps what the reach allows. */
export function visibleIncidents(reach: Reach) {
  return (eb: ExpressionBuilder<Database, 'incidents'>): Expression<SqlBool> => {
    if (reach.all) return sql<boolean>`true`;
    const ors: Expression<SqlBool>[] = [eb('incidents.clientId', '=', reach.clientId)];
    if (reach.districtCodes.length) ors.push(eb('incidents.districtCode', 'in', [...reach.districtCodes]));
    if (reach.topics.length) ors.push(eb('incidents.topic', 'in', [...reach.topics]));
    if (reach.unitId) {
      ors.push(
        eb.exists(eb.selectFrom('tasks').select('tasks.key').whereRef('tasks.incidentId', '=', 'incidents.id').where('tasks.unitId', '=', reach.unitId)),
      );
    }
    return eb.or(ors);
  };
}

/** Whether a principal manages a unit's own affairs: its own unit, or a station (所) under it. */
async function managesUnit(access: AccessFacts, p: Principal, unitId: string): Promise<boolean> {
  if (isCityAdmin(p)) return true;
  if (!p.unitId) return false;
  if (p.unitId === unitId) return true;
  const unit = await access.unit(unitId);
  return unit?.kind === 'station' && unit.parentId === p.unitId;
}

/** Whether the caller sees a unit's contact data (phones, e-mail addresses): its managers and the coordinating units. */
export async function seesContactsOf(access: AccessFacts, p: Principal, unitId: string): Promise<boolean> {
  return (await managesUnit(access, p, unitId)) || (await isCoordinator(access, p));
}

/**
 * Whether the caller sees the contacts of the expert pool's and the commentator
 * team's outside members: the city's administrators and the coordinating units, who call on them.
 */
export async function seesGroupContacts(access: AccessFacts, p: Principal): Promise<boolean> {
  return isCityAdmin(p) || (await isCoordinator(access, p));
}

/**
 * Roles a principal may hand to others: those it holds and its unit plays, never a
 * leader's; and the staff roles every unit names for itself (its 舆情信息员), which
 * `person.edit` keeps to the units the principal manages.
 */
export async function grantableRoles(access: AccessFacts, p: Principal): Promise<ReadonlySet<Role>> {
  const unitRoles = p.unitId ? await access.unitRoles(p.unitId) : [];
  const staff = p.unitId ? STAFF_ROLES : [];
  return new Set([...p.roles, ...unitRoles, ...staff].filter((r) => !PERSONAL_ROLES.includes(r)));
}

const forbid = (detail: string) => problems.forbidden(detail);

async function assertVisible(access: AccessFacts, p: Principal, incidentId: string): Promise<void> {
  const reach = await reachOf(access, p);
  const found = await access.db.selectFrom('incidents').select('id').where('id', '=', incidentId).where(visibleIncidents(reach)).executeTakeFirst();
  // Another district's incident is "not found", not "forbidden": its existence is not the caller's business.
  if (!found) throw problems.notFound(`incident ${incidentId}`);
}

const needsUnit = (p: Principal) => {
  if (!p.unitId) throw forbid('系统密钥不代表任何单位,不能办理舆情事项;请使用本人或本单位的密钥 (a key without a unit takes no step of an incident)');
};

/**
 * Fails with 403 (or 404 for an incident the caller may not see) unless the
 * principal may do `permission` on `target`. The one place access is decided.
 */
/** Whoever issues a credential that acts as a person (a key, an activation link) could grant every role the person holds. */
async function assertCouldGrantAll(access: AccessFacts, p: Principal, roles: readonly Role[]): Promise<void> {
  const grantable = await grantableRoles(access, p);
  const held = roles.filter((r) => !grantable.has(r));
  if (held.length)
    throw forbid(`该人员具有本人不能授予的角色:${held.map((r) => ROLE_LABELS[r]).join('、')},须由市局系统管理员办理 (they hold ${held.join(', ')})`);
}

export async function requireAccess<P extends Permission>(access: AccessFacts, p: Principal, permission: P, target: AccessTargets[P]): Promise<void> {
  switch (permission) {
    case 'incident.report': {
      const { districtCode } = target as AccessTargets['incident.report'];
      const reach = await reachOf(access, p);
      // A district bureau (or station) reports for its own district; the monitoring platform for any.
      if (reach.all || reach.districtCodes.length === 0) return;
      if (!districtCode || !reach.districtCodes.includes(districtCode))
        throw forbid(`只能上报本辖区舆情 (you report for district ${reach.districtCodes.join(', ')})`);
      return;
    }
    case 'incident.read':
      return assertVisible(access, p, (target as AccessTargets['incident.read']).incidentId);
    case 'incident.act': {
      const { incidentId, unitId, proxy } = target as AccessTargets['incident.act'];
      needsUnit(p);
      await assertVisible(access, p, incidentId);
      if (!proxy) {
        if (unitId === undefined || unitId === p.unitId) return;
        throw forbid(
          `只能以本单位名义办理;舆情办替其他单位办理须注明代办及理由 (you act for ${p.unitId}, not ${unitId}; the office acts for another unit only with proxy and its reason)`,
        );
      }
      const { office } = await access.coordinatingUnits();
      if (p.unitId !== office) throw forbid('仅舆情办可代办其他单位事项 (only the opinion office acts for another unit)');
      if (unitId === p.unitId) throw forbid('本单位事项直接办理,无需代办 (proxy is for acting for another unit)');
      return;
    }
    case 'incident.approve': {
      const { incidentId, role } = target as AccessTargets['incident.approve'];
      await assertVisible(access, p, incidentId);
      if (p.kind !== 'person') throw forbid('审批须由本人使用个人密钥办理,系统或单位密钥不能审批 (approvals are given by people, with their own key)');
      if (!p.roles.includes(role)) throw forbid(`需由${ROLE_LABELS[role]}本人审批 (you do not hold the role ${role})`);
      return;
    }
    case 'incident.coordinate': {
      await assertVisible(access, p, (target as AccessTargets['incident.coordinate']).incidentId);
      needsUnit(p);
      if (!(await isCoordinator(access, p))) throw forbid('仅舆情办或领导小组可决定 (only the opinion office or the leadership group decides this)');
      return;
    }
    case 'incident.forceClose': {
      await assertVisible(access, p, (target as AccessTargets['incident.forceClose']).incidentId);
      const { leadership } = await access.coordinatingUnits();
      if (!p.unitId || p.unitId !== leadership) throw forbid('强制结束须由领导小组决定 (only the leadership group force-closes)');
      return;
    }
    case 'incident.reassign': {
      needsUnit(p);
      await assertVisible(access, p, (target as AccessTargets['incident.reassign']).incidentId);
      const { office } = await access.coordinatingUnits();
      // 杜绝推诿 (plan §8(五)3): a unit asks, the office decides where the part goes.
      if (p.unitId !== office)
        throw forbid('改派由舆情办决定;承办单位认为不属本单位的,请申请移交 (only the opinion office hands parts on; a unit asks with hand-off)');
      return;
    }
    case 'incident.handOff':
      // Whether the caller's unit handles this incident is the workflow's to say (404 otherwise).
      needsUnit(p);
      await assertVisible(access, p, (target as AccessTargets['incident.handOff']).incidentId);
      return;
    case 'incident.renewTalkingPoints': {
      await assertVisible(access, p, (target as AccessTargets['incident.renewTalkingPoints']).incidentId);
      const { leadership } = await access.coordinatingUnits();
      if (!p.unitId || p.unitId !== leadership)
        throw forbid('是否准备后续回应口径由领导小组会商决定 (only the leadership group decides follow-up talking points)');
      return;
    }
    case 'incident.correct': {
      const { incidentId, otherIncidentId } = target as AccessTargets['incident.correct'];
      needsUnit(p);
      await assertVisible(access, p, incidentId);
      if (otherIncidentId) await assertVisible(access, p, otherIncidentId);
      // The office monitors and judges the trend (plan §2): it says which reports are one incident.
      const { office } = await access.coordinatingUnits();
      if (p.unitId !== office) throw forbid('仅舆情办可合并或拆分舆情 (only the opinion office merges and splits incidents)');
      return;
    }
    case 'bureau.view':
      if (!(await reachOf(access, p)).all) throw forbid('仅舆情办和局领导可查看全局情况 (bureau-wide views are for the opinion office and leaders)');
      return;
    case 'unit.records': {
      const { unitId } = target as AccessTargets['unit.records'];
      if ((await reachOf(access, p)).all || (await managesUnit(access, p, unitId))) return;
      throw forbid(`只能查看本单位情况 (you act for ${p.unitId ?? 'no unit'}, not ${unitId})`);
    }
    case 'unit.edit':
    case 'routing.edit':
      if (!isCityAdmin(p)) throw forbid('仅市局系统管理员可修改单位设置与转办规则 (only the city’s administrators edit units and routing)');
      return;
    case 'duty.edit':
    case 'channel.edit':
    case 'delivery.retry': {
      const { unitId } = target as AccessTargets['duty.edit'];
      if (hasScope(p, 'directory:write') && (await managesUnit(access, p, unitId))) return;
      // The office chases deliveries for everybody (plan §8.5), so it may retry any dead letter.
      if (permission === 'delivery.retry' && hasScope(p, 'tasks:act') && (await isCoordinator(access, p))) return;
      throw forbid(`只能管理本单位的设置 (you manage ${p.unitId ?? 'no unit'}, not ${unitId})`);
    }
    case 'person.edit': {
      const { unitId, roles } = target as AccessTargets['person.edit'];
      if (!(await managesUnit(access, p, unitId))) throw forbid(`只能管理本单位人员 (you manage ${p.unitId ?? 'no unit'}, not ${unitId})`);
      if (isCityAdmin(p)) return;
      const grantable = await grantableRoles(access, p);
      const beyond = roles.filter((r) => !grantable.has(r));
      if (beyond.length) throw forbid(`不能授予本人不具有的角色:${beyond.map((r) => ROLE_LABELS[r]).join('、')} (you cannot grant ${beyond.join(', ')})`);
      return;
    }
    case 'key.issue': {
      const { unitId, scopes, roles = [] } = target as AccessTargets['key.issue'];
      if (!(await managesUnit(access, p, unitId))) throw forbid(`只能为本单位人员签发密钥 (you manage ${p.unitId ?? 'no unit'}, not ${unitId})`);
      const beyond = scopes.filter((s) => !hasScope(p, s) || (s === 'admin' && !isCityAdmin(p)));
      if (beyond.length) throw forbid(`不能授予本人没有的权限 (you do not hold ${beyond.join(', ')})`);
      if (isCityAdmin(p)) return;
      // A personal key lets its holder be the person: only someone who could grant all of their roles issues it.
      return assertCouldGrantAll(access, p, roles);
    }
    case 'accountability.decide': {
      // The office holds units to account (plan §8(五)3); a unit never judges its own lapse, the leadership group does.
      const { unitId } = target as AccessTargets['accountability.decide'];
      needsUnit(p);
      if (!(await isCoordinator(access, p)))
        throw forbid('问责处理结果由舆情办或领导小组记录 (only the opinion office or the leadership group records the outcome)');
      if (unitId !== null && unitId === p.unitId) throw forbid('本单位的问责记录须由其他协调单位处理 (a unit does not decide on its own lapse)');
      return;
    }
    case 'release_channel.edit':
      if (!isCityAdmin(p)) throw forbid('发布渠道仅由市局系统管理员维护 (only the city’s administrators edit the release channels)');
      return;
    case 'group.edit': {
      // The office keeps the expert pool and the commentator team for the bureau (plan §8(二)).
      if (isCityAdmin(p)) return;
      const { office } = await access.coordinatingUnits();
      if (hasScope(p, 'directory:write') && p.unitId !== undefined && p.unitId === office) return;
      throw forbid('专家库和网评员队伍由舆情办或市局系统管理员管理 (only the opinion office and the city’s administrators keep these groups)');
    }
    case 'account.issue': {
      const { unitId, scopes, roles } = target as AccessTargets['account.issue'];
      if (!hasScope(p, 'directory:write') || !(await managesUnit(access, p, unitId)))
        throw forbid(`只能为本单位人员开通账号、签发激活链接 (you manage ${p.unitId ?? 'no unit'}, not ${unitId})`);
      if (isCityAdmin(p)) return;
      const beyond = scopes.filter((s) => !hasScope(p, s) || s === 'admin');
      if (beyond.length) throw forbid(`不能授予本人没有的权限 (you do not hold ${beyond.join(', ')})`);
      // An activation link lets its holder be the person: only someone who could grant all of their roles may issue it.
      return assertCouldGrantAll(access, p, roles);
    }
    case 'policy.publish': {
      const { scope } = target as AccessTargets['policy.publish'];
      if (isCityAdmin(p)) return;
      if (scope === 'city') throw forbid('市局处置策略仅由市局系统管理员发布 (only the city’s administrators publish the city policy)');
      const unit = p.unitId ? await access.unit(p.unitId) : undefined;
      if (unit?.kind !== 'district_bureau' || unit.districtCode !== scope)
        throw forbid(`只能发布本辖区的实施细则 (you publish only your own district’s local plan, not ${scope})`);
      return;
    }
    default:
      throw new Error(`unknown permission ${String(permission)}`);
  }
}

/**
 * Whose live events a caller follows (the console's stream), per incident: `unitIds`
 * are the units the event's task snapshots name.
 */
export type IncidentFilter = (incidentId: string, unitIds: readonly string[]) => Promise<boolean>;

/** How long a "not yours" answer is remembered: an incident may be handed to the caller's unit later. */
const FILTER_NO_MS = 5_000;
const FILTER_MEMORY = 10_000;

/**
 * The live stream's rule: a bureau-wide caller follows every incident; any other
 * caller the incidents it may read (`incident.read`: its district, its line of
 * business, its unit's tasks), and an incident at once when an event hands its unit
 * a task (the task read model may not have it yet). Answers are remembered per
 * viewer: yes for good, no for a few seconds.
 */
export async function followedIncidents(access: AccessFacts, p: Principal): Promise<IncidentFilter> {
  const reach = await reachOf(access, p);
  if (reach.all) return async () => true;
  const known = new Map<string, number>();
  return async (incidentId, unitIds) => {
    const until = known.get(incidentId);
    if (until === Infinity) return true;
    if (reach.unitId && unitIds.includes(reach.unitId)) {
      known.set(incidentId, Infinity);
      return true;
    }
    if (until !== undefined && until > Date.now()) return false;
    const yes = await hasAccess(access, p, 'incident.read', { incidentId });
    if (known.size >= FILTER_MEMORY) known.clear();
    known.set(incidentId, yes ? Infinity : Date.now() + FILTER_NO_MS);
    return yes;
  };
}

/** Like `requireAccess`, answering true or false instead of throwing. */
export async function hasAccess<P extends Permission>(access: AccessFacts, p: Principal, permission: P, target: AccessTargets[P]): Promise<boolean> {
  try {
    await requireAccess(access, p, permission, target);
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 403 || (err as { status?: number }).status === 404) return false;
    throw err;
  }
}
