/**
 * Who may take a step of an incident (plan §2 "whoever is in charge is
 * responsible", §7.1, §8.5). Pure rules over the task book, applied by the
 * Update validators; access to the incident itself is the services' access
 * module's to decide.
 */
import { DECISION_ROLES, PERSONAL_ROLES, ROLE_LABELS, TASK_LABELS, type Actor, type Role } from '@yuqing/shared/domain';
import { REJECTION, type Proxy } from './incident.messages';
import { reject } from './rejection';
import { taskKey, type Task, type TaskBook } from './task-book';

/** One person, however many keys they hold. */
const personOf = (actor: Actor): string => actor.personId ?? actor.id;

/**
 * Each body does its own steps: a task is taken by its owner's unit, and one
 * owned by a leader's role by its holder in person. The office (`office`) may
 * take another unit's step as 代办, with a reason, except decisions and approvals.
 */
export function assertMayTake(task: Task, actor: Actor, proxy: Proxy | undefined, office: string | undefined): void {
  const label = TASK_LABELS[task.kind];
  if (!actor.unitId) reject(REJECTION.forbidden, `${label}须由承办单位办理 (a step is taken for a unit)`);
  if (proxy) {
    if (actor.unitId !== office) reject(REJECTION.forbidden, '仅舆情办可代办其他单位事项 (only the opinion office acts for another unit)');
    if (task.unitId === actor.unitId) reject(REJECTION.invalid, '本单位事项直接办理,无需代办 (proxy is for another unit’s step)');
    if (task.approvalsNeeded.length > 0 || DECISION_ROLES.includes(task.owner)) {
      reject(REJECTION.forbidden, `${label}属决策或审批事项,不能代办 (decisions and approvals are never taken by proxy)`);
    }
    return;
  }
  // A step whose owner the routing does not name falls to the office that coordinates.
  const ownerUnit = task.unitId ?? office;
  if (actor.unitId !== ownerUnit) {
    reject(REJECTION.forbidden, `${label}由 ${ownerUnit ?? ROLE_LABELS[task.owner]} 办理;舆情办代办须注明理由 (this step is ${ownerUnit ?? task.owner}’s)`);
  }
  if (PERSONAL_ROLES.includes(task.owner) && !actor.roles?.includes(task.owner)) {
    reject(REJECTION.forbidden, `${label}须由${ROLE_LABELS[task.owner]}本人办理 (only the ${task.owner} takes this step)`);
  }
}

/** The actor as events record it: with the unit it acted for when the office took the step as 代办. */
export function recordedActor(actor: Actor, task: Task | undefined, proxy: Proxy | undefined): Actor {
  return proxy && task?.unitId ? { ...actor, onBehalfOf: { unitId: task.unitId, reason: proxy.reason } } : actor;
}

/** The tasks whose work an approval task approves: those it waits for, and theirs. */
function authoredBefore(book: TaskBook, task: Task): Task[] {
  const found = new Map<string, Task>();
  const visit = (t: Task) => {
    for (const kind of t.def.after) {
      const dep = book.get(taskKey(kind));
      if (dep && !found.has(dep.key)) {
        found.set(dep.key, dep);
        visit(dep);
      }
    }
  };
  visit(task);
  return [...found.values()];
}

/**
 * Who may approve: a person holding the role, not a system key; two approvals
 * are two people; whoever wrote what is approved does not approve it.
 */
export function assertMayApprove(book: TaskBook, task: Task, actor: Actor, role: Role): void {
  if (actor.kind !== 'person') reject(REJECTION.forbidden, '审批须由本人办理,系统或单位密钥不能审批 (approvals are given by people)');
  if (!actor.roles?.includes(role)) reject(REJECTION.forbidden, `需由${ROLE_LABELS[role]}本人审批 (actor does not hold role ${role})`);
  const me = personOf(actor);
  const earlier = task.approvals.find((a) => personOf(a.actor) === me);
  if (earlier) reject(REJECTION.conflict, `同一人已以${ROLE_LABELS[earlier.role]}身份审批,两级审批须由两人分别办理 (one person gives one approval)`);
  for (const authored of authoredBefore(book, task)) {
    if (authored.doneBy && personOf(authored.doneBy) === me) {
      reject(REJECTION.forbidden, `${TASK_LABELS[authored.kind]}的办理人不能审批本人所拟内容 (whoever wrote ${authored.kind} does not approve it)`);
    }
  }
}
