import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { AlertRecord } from '@yuqing/activities';
import {
  CHAIN_ACTION_LABELS,
  durationMs,
  ROLE_LABELS,
  TASK_LABELS,
  type Actor,
  type ChainStep,
  type IncidentEvent,
  type Recipient,
  type Role,
} from '@yuqing/shared/domain';
import { beijing } from './visibility';
import type { IncidentRecorder } from './incident-recorder';
import type { Task, TaskBook } from './task-book';

const SYSTEM: Actor = { id: 'system:workflow', kind: 'system' };

/**
 * Sleeps until `at`, naming the timer for the Web UI. `notBefore` is a moment known
 * to have passed (a local activity's finish, recorded in history): workflow time
 * stands still while a local activity runs in the same task, and a timer measured
 * from the stale time would fire late by as long as that activity took.
 */
async function sleepUntil(at: number, summary: string, notBefore = 0): Promise<void> {
  const ms = at - Math.max(Date.now(), notBefore);
  if (ms > 0) await sleep(ms, { summary });
}

/**
 * The deadlines of an incident's open tasks as durable timers (plan §5–§7): the
 * advance warning, the lapse, then the policy's chain of reminders and
 * escalations, each raising an alert once. `sync` starts a watcher for every open
 * task with a deadline and cancels those whose deadline changed or ended.
 */
export class DeadlineWatcher {
  /** Running watchers by task key. */
  private readonly watchers = new Map<string, { scope: CancellationScope; dueAt: string; round: number; def: unknown }>();
  /** Alert stages already raised (`key#round@dueAt:stage`), so a restarted watcher raises nothing twice. */
  private readonly fired = new Set<string>();

  constructor(
    private readonly book: TaskBook,
    private readonly recorder: IncidentRecorder,
    /** The unit that holds a role now (routing, reassignments included). */
    private readonly unitOfRole: (role: Role) => string | undefined,
    /** After an alert is raised: Overdue and the Web UI's details follow. */
    private readonly onRaised: () => void,
    /** A moment known to have passed when the first clocks start (see `sleepUntil`). */
    private readonly notBefore = 0,
  ) {}

  sync(active: boolean): void {
    for (const task of this.book.list()) {
      const w = this.watchers.get(task.key);
      const needed = active && task.status === 'open' && task.dueAt !== undefined;
      if (w && (!needed || w.dueAt !== task.dueAt || w.round !== task.round || w.def !== task.def)) {
        w.scope.cancel();
        this.watchers.delete(task.key);
      }
      if (needed && !this.watchers.has(task.key)) {
        const scope = new CancellationScope();
        const { key, dueAt, round } = task as Task & { dueAt: string };
        this.watchers.set(key, { scope, dueAt, round, def: task.def });
        scope
          .run(() => this.watch(key, dueAt, round))
          .catch((err: unknown) => {
            if (!isCancellation(err)) throw err;
          });
      }
    }
  }

  private recipient(task: Task, role: ChainStep['notify'][number]): Recipient {
    if (role === 'owner') return { role: task.owner, ...(task.unitId ? { unitId: task.unitId } : {}) };
    const unitId = this.unitOfRole(role);
    return { role, ...(unitId ? { unitId } : {}) };
  }

  private alertOf(task: Task, ev: IncidentEvent, kind: AlertRecord['kind'], stage: number | null, notified: Recipient[], lateMs: number): AlertRecord {
    return {
      id: ev.id,
      incidentId: ev.incidentId,
      taskKey: task.key,
      taskKind: task.kind,
      kind,
      stage,
      owner: task.owner,
      unitId: task.unitId ?? null,
      notified,
      dueAt: task.dueAt!,
      raisedAt: ev.occurredAt,
      lateMs,
    };
  }

  private async raise(summary: string, alert: AlertRecord, ev: IncidentEvent): Promise<void> {
    await this.recorder.raise(summary, alert, ev);
    this.onRaised();
  }

  private async watch(key: string, dueAt: string, round: number): Promise<void> {
    const task = this.book.get(key)!;
    const def = task.def;
    const label = TASK_LABELS[task.kind];
    const due = Date.parse(dueAt);
    const stage = (name: string) => `${key}#${round}@${dueAt}:${name}`;

    // The advance warning runs beside the deadline timer, so the deadline's own
    // timer (e.g. the 4 h release) is visible in the Web UI from the start.
    const warning = (async () => {
      if (!def.warnBefore || this.fired.has(stage('warn'))) return;
      const warnAt = due - durationMs(def.warnBefore);
      if (warnAt <= Date.now()) return;
      await sleepUntil(warnAt, `提前提醒:${label}(截止前 ${def.warnBefore})`, this.notBefore);
      this.fired.add(stage('warn'));
      const to = [this.recipient(task, 'owner')];
      const ev = this.recorder.event('reminder_sent', { taskKey: key, taskKind: task.kind, to, dueAt, stage: 'before_deadline', actor: SYSTEM });
      await this.raise(`提前提醒:${label}`, this.alertOf(task, ev, 'reminder', null, to, 0), ev);
    })().catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });

    if (!this.fired.has(stage('lapse'))) {
      await sleepUntil(due, `截止:${label} ${beijing(dueAt)}(${def.deadline ?? ''})`, this.notBefore);
      this.fired.add(stage('lapse'));
      const now = Date.now();
      this.book.markLapsed(key, now);
      const owner = this.recipient(task, 'owner');
      const ev = this.recorder.event('deadline_lapsed', {
        taskKey: key,
        taskKind: task.kind,
        owner,
        dueAt,
        lapsedAt: new Date(now).toISOString(),
        lateMs: now - due,
        actor: SYSTEM,
      });
      await this.raise(`超时预警:${label}`, this.alertOf(task, ev, 'deadline_lapsed', null, [owner], now - due), ev);
    }
    await warning;

    for (const [i, step] of def.chain.entries()) {
      if (this.fired.has(stage(`chain${i}`))) continue;
      const actionLabel = CHAIN_ACTION_LABELS[step.action];
      await sleepUntil(due + durationMs(step.after), `${actionLabel}:${label} 第${i + 1}级(超时 ${step.after})`, this.notBefore);
      this.fired.add(stage(`chain${i}`));
      const to = step.notify.map((role) => this.recipient(task, role));
      const overdueMs = Date.now() - due;
      const ev =
        step.action === 'remind'
          ? this.recorder.event('reminder_sent', { taskKey: key, taskKind: task.kind, to, dueAt, stage: i, actor: SYSTEM })
          : this.recorder.event('escalated', { taskKey: key, taskKind: task.kind, action: step.action, to, dueAt, stage: i, overdueMs, actor: SYSTEM });
      const who = to.map((r) => ROLE_LABELS[r.role]).join('、');
      await this.raise(`${actionLabel}:${label} → ${who}`, this.alertOf(task, ev, step.action === 'remind' ? 'reminder' : 'escalation', i, to, overdueMs), ev);
    }
  }
}
