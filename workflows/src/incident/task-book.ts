/**
 * The tasks of one incident and the rules that move them: which open, when each
 * is due, what completes them, what a tier change does. Pure and deterministic
 * (no Temporal calls), so it runs inside the workflow and in plain unit tests.
 */
import {
  durationMs,
  EVERY_ASSIGNEE_TASK_KINDS,
  PER_UNIT_TASK_KINDS,
  tierRank,
  type Actor,
  type Approval,
  type Assignment,
  type Role,
  type TaskKind,
  type TaskPolicy,
  type TaskSnapshot,
  type Tier,
  type TierPolicy,
} from '@yuqing/shared/domain';

export interface Task extends TaskSnapshot {
  /** The policy entry this task follows now (it changes with the tier). */
  def: TaskPolicy;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** `digest`, or `acknowledge:district-230103` for a per-unit task. */
export function taskKey(kind: TaskKind, unitId?: string): string {
  return PER_UNIT_TASK_KINDS.includes(kind) && unitId ? `${kind}:${unitId}` : kind;
}

export class TaskBook {
  readonly tasks = new Map<string, Task>();
  /** Tasks the office added to this incident (not the tier's path): a tier change keeps them. */
  private readonly added = new Set<string>();
  private readonly dirty = new Set<string>();
  private seq = 0;

  constructor(
    /** The unit that holds a role (from routing), for role-owned tasks. */
    private readonly unitForRole: (role: Role) => string | undefined,
  ) {}

  get(key: string): Task | undefined {
    return this.tasks.get(key);
  }

  list(): Task[] {
    return [...this.tasks.values()];
  }

  snapshots(): TaskSnapshot[] {
    return this.list().map(toSnapshot);
  }

  /** Snapshots of the tasks changed since the last call, for the next event. */
  takeChanged(): TaskSnapshot[] {
    const changed = [...this.dirty].map((key) => toSnapshot(this.tasks.get(key)!));
    this.dirty.clear();
    return changed;
  }

  /**
   * Puts the incident on a tier's path at `now`: creates the tasks the tier
   * needs (clocks start now), keeps what is done, and cancels open tasks the tier
   * does not have. When raising, a running deadline only ever gets earlier.
   */
  applyTier(tier: TierPolicy, assignments: readonly Assignment[], now: number, raising: boolean, reason: string, retimeWhenLowering = false): void {
    const wanted = new Set<string>();
    for (const def of tier.tasks) {
      if (def.phase === 'closing') continue;
      const owners = PER_UNIT_TASK_KINDS.includes(def.kind)
        ? assignments
            .filter((a) => EVERY_ASSIGNEE_TASK_KINDS.includes(def.kind) || a.role === def.owner)
            .map((a): { owner: Role; unitId: string | undefined } => ({ owner: a.role, unitId: a.unitId }))
        : [{ owner: def.owner, unitId: this.unitForRole(def.owner) }];
      for (const { owner, unitId } of owners) {
        const key = taskKey(def.kind, unitId);
        wanted.add(key);
        const existing = this.tasks.get(key);
        if (!existing || existing.status === 'cancelled') {
          this.create(key, def, owner, unitId, now);
          continue;
        }
        existing.def = def;
        existing.mandatory = def.mandatory;
        existing.approvalsNeeded = [...def.approvals];
        if (existing.status === 'open' && raising && def.deadline) {
          const due = now + durationMs(def.deadline);
          if (!existing.dueAt || due < Date.parse(existing.dueAt)) {
            existing.dueAt = iso(due);
            existing.overdue = false;
            delete existing.lapsedAt;
          }
        } else if (existing.status === 'open' && !raising && retimeWhenLowering) {
          // Lowered: the higher tier's clock goes; the task keeps the time it has had, on the lower tier's allowance.
          const opened = Date.parse(existing.openedAt ?? iso(now));
          if (def.deadline) existing.dueAt = iso(opened + durationMs(def.deadline));
          else delete existing.dueAt;
          if (!existing.dueAt || Date.parse(existing.dueAt) > now) {
            existing.overdue = false;
            delete existing.lapsedAt;
          }
        }
        this.touch(existing);
      }
    }
    for (const task of this.tasks.values()) {
      if (task.phase === 'handling' && !wanted.has(task.key) && !this.added.has(task.key) && (task.status === 'open' || task.status === 'waiting')) {
        this.cancel(task.key, reason);
      }
    }
    this.openReady(now);
  }

  /** Opens waiting tasks whose `after` tasks (those this incident has) are all done. */
  openReady(now: number): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const task of this.tasks.values()) {
        if (task.status !== 'waiting' || !this.depsDone(task)) continue;
        this.open(task, now);
        changed = true;
      }
    }
  }

  /** Required tasks of `task` that are not done (`requires` in the policy). */
  missingRequirements(task: Task): Task[] {
    return task.def.requires
      .map((kind) => this.tasks.get(taskKey(kind)))
      .filter((t): t is Task => t !== undefined && t.status !== 'done' && t.status !== 'cancelled');
  }

  complete(key: string, actor: Actor, now: number): Task {
    const task = this.mustGet(key);
    task.status = 'done';
    task.doneAt = iso(now);
    task.doneBy = actor;
    this.touch(task);
    this.openReady(now);
    return task;
  }

  /**
   * 退回: sends a task back to its owner (round + 1, a fresh clock from now); what
   * waited on it waits again and loses the approvals it had, since they approved
   * work that is being redone.
   */
  reopen(key: string, now: number): Task {
    const task = this.mustGet(key);
    task.round += 1;
    delete task.doneAt;
    delete task.doneBy;
    task.overdue = false;
    delete task.lapsedAt;
    this.open(task, now);
    for (const t of this.tasks.values()) {
      if (t.def.after.includes(task.kind) && (t.status === 'open' || t.status === 'waiting')) this.wait(t);
    }
    return task;
  }

  /**
   * A new round of written work (后续口径, plan §7(三)): the step opens again with
   * its clock, and every step after it, done or not (the approval, the secrecy
   * check, the report upward), waits to be done again for the new version.
   */
  renew(key: string, now: number): Task {
    const task = this.reopen(key, now);
    const redo = new Set<TaskKind>([task.kind]);
    for (let grew = true; grew;) {
      grew = false;
      for (const t of this.tasks.values()) {
        if (redo.has(t.kind) || t.status === 'cancelled' || !t.def.after.some((k) => redo.has(k))) continue;
        redo.add(t.kind);
        grew = true;
        if (t.status === 'done') t.round += 1;
        this.wait(t);
      }
    }
    return task;
  }

  /** Opens a repeating task again (next round) after it was done. */
  repeat(key: string, now: number): Task | undefined {
    const task = this.mustGet(key);
    if (!task.def.repeat || task.status !== 'done') return undefined;
    task.round += 1;
    task.status = 'open';
    task.openedAt = iso(now);
    task.dueAt = iso(now + durationMs(task.def.repeat));
    task.overdue = false;
    delete task.lapsedAt;
    delete task.doneAt;
    delete task.doneBy;
    this.touch(task);
    return task;
  }

  approve(key: string, approval: Approval, now: number): { task: Task; complete: boolean } {
    const task = this.mustGet(key);
    task.approvals = [...task.approvals, approval];
    const complete = task.approvalsNeeded.every((role) => task.approvals.some((a) => a.role === role));
    if (complete) this.complete(key, approval.actor, now);
    else this.touch(task);
    return { task, complete };
  }

  cancel(key: string, reason: string): void {
    const task = this.mustGet(key);
    task.status = 'cancelled';
    task.cancelReason = reason;
    this.touch(task);
  }

  markLapsed(key: string, now: number): Task {
    const task = this.mustGet(key);
    task.overdue = true;
    task.lapsedAt = iso(now);
    this.touch(task);
    return task;
  }

  /**
   * Hands a unit's part to another unit: its open steps move over. With `keepClock`
   * (plan §8(五)3: handing on does not buy time) a moved step keeps the clock it had;
   * otherwise it starts now. With `receiverAcknowledges` the receiving unit signs
   * for the warning itself even where the first unit had, on a clock from now.
   */
  reassign(
    fromUnitId: string,
    to: Assignment,
    tier: TierPolicy,
    now: number,
    reason: string,
    { keepClock = false, receiverAcknowledges = false }: { keepClock?: boolean; receiverAcknowledges?: boolean } = {},
  ): void {
    for (const task of [...this.tasks.values()]) {
      if (task.unitId !== fromUnitId || !PER_UNIT_TASK_KINDS.includes(task.kind)) continue;
      const def = tier.tasks.find((d) => d.kind === task.kind) ?? task.def;
      const key = taskKey(task.kind, to.unitId);
      const { status, openedAt, dueAt } = task;
      if (status === 'open' || status === 'waiting') {
        this.cancel(task.key, reason);
        const moved = this.create(key, def, to.role, to.unitId, now);
        if (keepClock && status === 'open' && moved.status === 'open' && openedAt) {
          moved.openedAt = openedAt;
          if (dueAt) moved.dueAt = dueAt;
        }
      } else if (receiverAcknowledges && status === 'done' && task.kind === 'acknowledge' && this.tasks.get(key)?.status !== 'open') {
        this.create(key, def, to.role, to.unitId, now);
      }
    }
    this.openReady(now);
  }

  /** A step the office adds to the running incident (its clock starts now); answers it. */
  add(def: TaskPolicy, unitId: string | undefined, now: number): Task {
    const key = `${def.kind}#${[...this.added].filter((k) => k.startsWith(`${def.kind}#`)).length + 1}`;
    this.added.add(key);
    return this.create(key, def, def.owner, unitId, now);
  }

  /** Opens the tier's closing-phase tasks (the post-incident review). */
  openClosing(tier: TierPolicy, now: number, owed: readonly TaskPolicy[] = []): void {
    for (const def of [...tier.tasks, ...owed]) {
      if (def.phase !== 'closing') continue;
      this.create(taskKey(def.kind), def, def.owner, this.unitForRole(def.owner), now);
    }
    this.openReady(now);
  }

  /** Cancels every task still open or waiting in a phase. */
  cancelOpen(phase: 'handling' | 'closing', reason: string, onlyOptional: boolean): void {
    for (const task of this.tasks.values()) {
      if (task.phase !== phase || (task.status !== 'open' && task.status !== 'waiting')) continue;
      if (onlyOptional && task.mandatory) continue;
      this.cancel(task.key, reason);
    }
  }

  /** Mandatory tasks of a phase not yet done: what stands between the incident and closing. */
  outstanding(phase: 'handling' | 'closing'): Task[] {
    return this.list().filter((t) => t.phase === phase && t.mandatory && (t.status === 'open' || t.status === 'waiting'));
  }

  anyOverdue(): boolean {
    return this.list().some((t) => t.status === 'open' && t.overdue);
  }

  private create(key: string, def: TaskPolicy, owner: Role, unitId: string | undefined, now: number): Task {
    const task: Task = {
      key,
      kind: def.kind,
      owner,
      ...(unitId ? { unitId } : {}),
      status: 'waiting',
      mandatory: def.mandatory,
      phase: def.phase,
      round: 1,
      overdue: false,
      approvalsNeeded: [...def.approvals],
      approvals: [],
      seq: 0,
      def,
    };
    this.tasks.set(key, task);
    if (this.depsDone(task)) this.open(task, now);
    else this.touch(task);
    return task;
  }

  private open(task: Task, now: number): void {
    task.status = 'open';
    task.openedAt = iso(now);
    if (task.def.deadline) task.dueAt = iso(now + durationMs(task.def.deadline));
    else delete task.dueAt;
    this.touch(task);
  }

  /** Back to waiting for what it comes after: no clock, no approvals, not done. */
  private wait(t: Task): void {
    t.status = 'waiting';
    t.approvals = [];
    delete t.openedAt;
    delete t.dueAt;
    delete t.doneAt;
    delete t.doneBy;
    t.overdue = false;
    delete t.lapsedAt;
    this.touch(t);
  }

  private depsDone(task: Task): boolean {
    return task.def.after.every((kind) => {
      const dep = this.tasks.get(taskKey(kind));
      return dep === undefined || dep.status === 'done' || dep.status === 'cancelled';
    });
  }

  private touch(task: Task): void {
    task.seq = ++this.seq;
    this.dirty.add(task.key);
  }

  private mustGet(key: string): Task {
    const task = this.tasks.get(key);
    if (!task) throw new Error(`no task ${key}`);
    return task;
  }
}

export function toSnapshot(task: Task): TaskSnapshot {
  const { def: _def, ...snapshot } = task;
  return { ...snapshot, approvalsNeeded: [...snapshot.approvalsNeeded], approvals: [...snapshot.approvals] };
}

/**
 * A step added to the running incident, not on its tier's path (an inspection, a
 * hand-off review, the lead department): mandatory, in the handling phase, and with
 * a deadline chased like any other step: the owner at the deadline, then `escalate`.
 */
export function addedStep(kind: TaskKind, owner: Role, deadline?: string, escalate?: { after: string; to: Role }): TaskPolicy {
  return {
    kind,
    owner,
    ...(deadline ? { deadline } : {}),
    after: [],
    requires: [],
    approvals: [],
    mandatory: true,
    phase: 'handling',
    chain: escalate
      ? [
          { after: '0s', action: 'remind', notify: ['owner'] },
          { after: escalate.after, action: 'escalate', notify: [escalate.to] },
        ]
      : [],
  };
}

export function isRaise(from: Tier, to: Tier): boolean {
  return tierRank(to) > tierRank(from);
}
