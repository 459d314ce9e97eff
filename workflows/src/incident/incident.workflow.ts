/**
 * One incident from assessment to archive (plan §5–§7). Deterministic code only:
 * every side effect goes through activities, every deadline is a durable timer,
 * and human steps arrive as Updates (see incident.messages.ts).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, AlertRecord, IncidentRowChange, Routing } from '@yuqing/activities';
import {
  CHAIN_ACTION_LABELS,
  DECISION_ROLES,
  durationMs,
  findUnacceptableText,
  EVENT_SCHEMA_VERSION,
  INCIDENT_STATUS_LABELS,
  PER_UNIT_TASK_KINDS,
  PERSONAL_ROLES,
  RELEASE_TASK_KINDS,
  ROLE_LABELS,
  SEARCH_ATTRIBUTES,
  TASK_LABELS,
  TIER_LABELS,
  type Actor,
  type Assignment,
  type ChainStep,
  type EventDataMap,
  type EventType,
  type IncidentEvent,
  type IncidentStatus,
  type PolicySnapshot,
  type Recipient,
  type Role,
  type TaskKind,
  type Tier,
  type TierPolicy,
} from '@yuqing/shared/domain';
import {
  acknowledgeUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  REJECTION,
  reassessUpdate,
  reassignUpdate,
  reclassifyUpdate,
  recordReleaseUpdate,
  stateQuery,
  submitReportUpdate,
  type AcknowledgeInput,
  type ApproveInput,
  type CloseInput,
  type CompleteTaskInput,
  type ReassessInput,
  type ReassignInput,
  type RecordReleaseInput,
  type SubmitReportInput,
  type IncidentState,
  type Proxy,
  type ReclassifyInput,
  type IncidentWorkflowInput,
  type RejectionType,
} from './incident.messages';
import { isRaise, taskKey, TaskBook, type Task } from './task-book';

/**
 * The activities are short, idempotent database steps, so they run as local
 * activities: no round trip through the server per step, which is what bounds the
 * first minutes of a burst. No attempt limit: an alert must get through once
 * PostgreSQL is back.
 */
const LOCAL = { startToCloseTimeout: '30s', retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' } } as const;
const activities = proxyLocalActivities<Activities>(LOCAL);

const SYSTEM: Actor = { id: 'system:workflow', kind: 'system' };

function reject(type: RejectionType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * Wraps an Update validator: text that could not be stored (a NUL byte, control
 * characters) is refused here, before the Update is accepted, never accepted and
 * then retried for ever by the activity that records it.
 */
function checked<T>(validate: (input: T) => void): (input: T) => void {
  return (input) => {
    const bad = findUnacceptableText(input);
    if (bad.length > 0) reject(REJECTION.invalid, `${bad.map((b) => b.path.join('.')).join(', ')}: ${bad[0]!.reason}`);
    validate(input);
  };
}

/** One person, however many keys they hold. */
const personOf = (actor: Actor): string => actor.personId ?? actor.id;

/** Beijing time for the details shown in the Web UI. */
function beijing(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  const { workflowId } = workflowInfo();
  const incidentId = input.incidentId;

  let tier: Tier = input.tier;
  let tierSince = Date.now();
  let status: IncidentStatus = 'received';
  let policy: PolicySnapshot | undefined;
  let routing: Routing | undefined;
  let assignments: Assignment[] = [];
  let closedReason: string | undefined;
  let eventSeq = 0;
  let rowSeq = 0;
  let visible = { tier: '', status: '', overdue: false };

  const book = new TaskBook((role) => routing?.roleUnits[role]);
  /** Running deadline watchers by task key, and the alert stages already raised. */
  const watchers = new Map<string, { scope: CancellationScope; dueAt: string; round: number; def: unknown }>();
  const fired = new Set<string>();

  const nowIso = () => new Date(Date.now()).toISOString();
  const tierPolicy = (t: Tier = tier): TierPolicy => policy!.document.tiers[t];

  function state(): IncidentState {
    return {
      incidentId,
      tier,
      tierSince: new Date(tierSince).toISOString(),
      status,
      policyVersion: policy?.version ?? null,
      assignments: [...assignments],
      tasks: book.snapshots(),
      overdue: book.anyOverdue(),
      ...(closedReason ? { closedReason } : {}),
    };
  }

  /** An event of this incident; the id is derived from the workflow id and a step sequence. */
  function event<T extends EventType>(type: T, data: EventDataMap[T], occurredAt = nowIso()): IncidentEvent {
    const tasks = book.takeChanged();
    return {
      id: `${workflowId}#${String(++eventSeq).padStart(4, '0')}.${type}`,
      type,
      incidentId,
      tier,
      occurredAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: tasks.length > 0 ? { ...data, tasks } : data,
    } as IncidentEvent;
  }

  function rowChange(): IncidentRowChange & { seq: number } {
    return { tier, status, overdue: book.anyOverdue(), ...(policy ? { policyVersion: policy.version } : {}), seq: ++rowSeq };
  }

  /** Records events (and resolves the alerts of tasks they finished) in one transaction. */
  async function publish(summary: string, events: IncidentEvent[], done: readonly Task[] = []): Promise<void> {
    const resolveAlertsOf = done.filter((t) => t.lapsedAt).map((t) => t.key);
    await activities.publishEvents.executeWithOptions({ ...LOCAL, summary }, [
      { incidentId, events, incident: rowChange(), ...(resolveAlertsOf.length ? { resolveAlertsOf } : {}) },
    ]);
  }

  /** Search attributes and the Web UI's details follow every change. */
  function syncVisibility(): void {
    const overdue = book.anyOverdue();
    if (visible.tier !== tier || visible.status !== status || visible.overdue !== overdue) {
      upsertSearchAttributes([
        { key: SEARCH_ATTRIBUTES.tier, value: tier },
        { key: SEARCH_ATTRIBUTES.status, value: status },
        { key: SEARCH_ATTRIBUTES.overdue, value: overdue },
      ]);
      visible = { tier, status, overdue };
    }
    const lines = book
      .list()
      .filter((t) => t.status === 'open' || t.status === 'waiting')
      .map((t) => `- ${t.overdue ? '⚠ 已超时 ' : ''}${TASK_LABELS[t.kind]}${t.unitId ? `(${t.unitId})` : ''}${t.dueAt ? ` — 截止 ${beijing(t.dueAt)}` : ''}${t.status === 'waiting' ? ' (待启动)' : ''}`);
    setCurrentDetails(
      [`**${TIER_LABELS[tier]}** · ${INCIDENT_STATUS_LABELS[status]} · 策略 ${policy?.version ?? '-'}`, '', ...(lines.length ? lines : ['(无待办事项)'])].join('\n'),
    );
  }

  // ---- deadlines -------------------------------------------------------------

  function recipient(task: Task, role: ChainStep['notify'][number]): Recipient {
    if (role === 'owner') return { role: task.owner, ...(task.unitId ? { unitId: task.unitId } : {}) };
    const unitId = routing?.roleUnits[role];
    return { role, ...(unitId ? { unitId } : {}) };
  }

  function alertOf(task: Task, ev: IncidentEvent, kind: AlertRecord['kind'], stage: number | null, notified: Recipient[], lateMs: number): AlertRecord {
    return {
      id: ev.id,
      incidentId,
      taskKey: task.key,
      taskKind: task.kind,
      kind,
      stage,
      accountableRole: task.owner,
      accountableUnitId: task.unitId ?? null,
      notified,
      dueAt: task.dueAt!,
      raisedAt: ev.occurredAt,
      lateMs,
    };
  }

  async function raise(summary: string, alert: AlertRecord, ev: IncidentEvent): Promise<void> {
    await CancellationScope.nonCancellable(() =>
      activities.raiseAlert.executeWithOptions({ ...LOCAL, summary }, [{ alert, event: ev, incident: rowChange() }]),
    );
    syncVisibility();
  }

  /** Sleeps until `at` (absolute workflow time), naming the timer for the Web UI. */
  async function sleepUntil(at: number, summary: string): Promise<void> {
    const ms = at - Date.now();
    if (ms > 0) await sleep(ms, { summary });
  }

  async function watch(key: string, dueAt: string, round: number): Promise<void> {
    const task = book.get(key)!;
    const def = task.def;
    const label = TASK_LABELS[task.kind];
    const due = Date.parse(dueAt);
    const stage = (name: string) => `${key}#${round}@${dueAt}:${name}`;

    // The advance warning runs beside the deadline timer, so the deadline's own
    // timer (e.g. the 4 h release) is visible in the Web UI from the start.
    const warning = (async () => {
      if (!def.warnBefore || fired.has(stage('warn'))) return;
      const warnAt = due - durationMs(def.warnBefore);
      if (warnAt <= Date.now()) return;
      await sleepUntil(warnAt, `提前提醒:${label}(截止前 ${def.warnBefore})`);
      fired.add(stage('warn'));
      const to = [recipient(task, 'owner')];
      const ev = event('reminder_sent', { taskKey: key, taskKind: task.kind, to, dueAt, stage: 'before_deadline', actor: SYSTEM });
      await raise(`提前提醒:${label}`, alertOf(task, ev, 'reminder', null, to, 0), ev);
    })().catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });

    if (!fired.has(stage('lapse'))) {
      await sleepUntil(due, `截止:${label} ${beijing(dueAt)}(${def.deadline ?? ''})`);
      fired.add(stage('lapse'));
      const now = Date.now();
      book.markLapsed(key, now);
      const accountable = recipient(task, 'owner');
      const ev = event('deadline_lapsed', {
        taskKey: key,
        taskKind: task.kind,
        accountable,
        dueAt,
        lapsedAt: new Date(now).toISOString(),
        lateMs: now - due,
        actor: SYSTEM,
      });
      await raise(`超时预警:${label}`, alertOf(task, ev, 'deadline_lapsed', null, [accountable], now - due), ev);
    }
    await warning;

    for (const [i, step] of def.chain.entries()) {
      if (fired.has(stage(`chain${i}`))) continue;
      const at = due + durationMs(step.after);
      const actionLabel = CHAIN_ACTION_LABELS[step.action];
      await sleepUntil(at, `${actionLabel}:${label} 第${i + 1}级(超时 ${step.after})`);
      fired.add(stage(`chain${i}`));
      const to = step.notify.map((role) => recipient(task, role));
      const overdueMs = Date.now() - due;
      const ev =
        step.action === 'remind'
          ? event('reminder_sent', { taskKey: key, taskKind: task.kind, to, dueAt, stage: i, actor: SYSTEM })
          : event('escalated', { taskKey: key, taskKind: task.kind, action: step.action, to, dueAt, stage: i, overdueMs, actor: SYSTEM });
      const who = to.map((r) => ROLE_LABELS[r.role]).join('、');
      await raise(`${actionLabel}:${label} → ${who}`, alertOf(task, ev, step.action === 'remind' ? 'reminder' : 'escalation', i, to, overdueMs), ev);
    }
  }

  /** Starts a watcher for every open task with a deadline and stops those no longer needed. */
  function syncWatchers(): void {
    for (const task of book.list()) {
      const w = watchers.get(task.key);
      const needed = status !== 'archived' && task.status === 'open' && task.dueAt !== undefined;
      if (w && (!needed || w.dueAt !== task.dueAt || w.round !== task.round || w.def !== task.def)) {
        w.scope.cancel();
        watchers.delete(task.key);
      }
      if (needed && !watchers.has(task.key)) {
        const scope = new CancellationScope();
        const { key, dueAt, round } = task as Task & { dueAt: string };
        watchers.set(key, { scope, dueAt, round, def: task.def });
        scope.run(() => watch(key, dueAt, round)).catch((err: unknown) => {
          if (!isCancellation(err)) throw err;
        });
      }
    }
    syncVisibility();
  }

  // ---- assignments ---------------------------------------------------------------

  /** Units that handle the incident on a tier's path, keeping any reassignment made. */
  function assignmentsFor(t: Tier): Assignment[] {
    const r = routing!;
    const roles: Assignment['role'][] =
      tierPolicy(t).assign === 'department_and_district'
        ? ['responsible_department', 'district_bureau']
        : [r.districtBureau ? 'district_bureau' : 'responsible_department'];
    return roles
      .map((role) => assignments.find((a) => a.role === role) ?? (role === 'district_bureau' ? r.districtBureau : r.department))
      .filter((a): a is Assignment => a !== undefined);
  }

  function dispatched(reason: EventDataMap['dispatched']['reason'], newly: Assignment[], actor: Actor = SYSTEM): IncidentEvent {
    return event('dispatched', {
      reason,
      assignments: newly,
      notify: tierPolicy().notify,
      title: input.title,
      link: input.source.url,
      actor,
    });
  }

  // ---- human steps (Updates) ---------------------------------------------------

  function requireHandling(): void {
    if (!policy) reject(REJECTION.conflict, '舆情尚未完成转办,请稍后重试 (incident not dispatched yet)');
    if (status !== 'handling' && status !== 'closed') reject(REJECTION.conflict, `舆情已${INCIDENT_STATUS_LABELS[status]} (incident is ${status})`);
  }

  function openTask(key: string): Task {
    requireHandling();
    const task = book.get(key);
    if (!task) reject(REJECTION.notFound, `本舆情没有事项 ${key} (no task ${key} on this incident)`);
    if (task.status === 'done') reject(REJECTION.conflict, `事项已完成:${TASK_LABELS[task.kind]} (task ${key} already done)`);
    if (task.status === 'cancelled') reject(REJECTION.conflict, `事项已撤销:${TASK_LABELS[task.kind]} (task ${key} cancelled: ${task.cancelReason ?? ''})`);
    if (task.status === 'waiting') {
      const waitingFor = task.def.after.map((k) => TASK_LABELS[k]).join('、');
      reject(REJECTION.conflict, `事项尚未启动,需先完成:${waitingFor} (task ${key} waits for ${task.def.after.join(', ')})`);
    }
    const missing = book.missingRequirements(task);
    if (missing.length > 0) {
      reject(REJECTION.conflict, `需先完成:${missing.map((t) => TASK_LABELS[t.kind]).join('、')} (requires ${missing.map((t) => t.key).join(', ')})`);
    }
    return task;
  }

  function unitTask(kind: TaskKind, unitId: string): Task {
    if (policy && !assignments.some((a) => a.unitId === unitId) && !book.get(taskKey(kind, unitId))) {
      reject(REJECTION.notFound, `单位 ${unitId} 未承办本舆情 (unit ${unitId} is not assigned to this incident)`);
    }
    return openTask(taskKey(kind, unitId));
  }

  /**
   * Each body does its own steps (plan §2, §8.5): a task is taken by its owner's
   * unit, and one owned by a leader's role by its holder in person. The office may
   * take another unit's step as 代办, with a reason, except decisions and approvals.
   */
  function assertMayTake(task: Task, actor: Actor, proxy: Proxy | undefined): void {
    const office = routing?.roleUnits.opinion_office;
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
  function recordedActor(actor: Actor, task: Task | undefined, proxy: Proxy | undefined): Actor {
    return proxy && task?.unitId ? { ...actor, onBehalfOf: { unitId: task.unitId, reason: proxy.reason } } : actor;
  }

  /**
   * Who may approve (plan §7.1, §8.5): a person holding the role, not a system key;
   * two approvals are two people; whoever wrote what is approved does not approve it.
   */
  function assertMayApprove(task: Task, actor: Actor, role: Role): void {
    if (actor.kind !== 'person') reject(REJECTION.forbidden, '审批须由本人办理,系统或单位密钥不能审批 (approvals are given by people)');
    if (!actor.roles?.includes(role)) reject(REJECTION.forbidden, `需由${ROLE_LABELS[role]}本人审批 (actor does not hold role ${role})`);
    const me = personOf(actor);
    const earlier = task.approvals.find((a) => personOf(a.actor) === me);
    if (earlier) reject(REJECTION.conflict, `同一人已以${ROLE_LABELS[earlier.role]}身份审批,两级审批须由两人分别办理 (one person gives one approval)`);
    for (const authored of authoredBefore(task)) {
      if (authored.doneBy && personOf(authored.doneBy) === me) {
        reject(REJECTION.forbidden, `${TASK_LABELS[authored.kind]}的办理人不能审批本人所拟内容 (whoever wrote ${authored.kind} does not approve it)`);
      }
    }
  }

  /** The tasks whose work an approval task approves: those it waits for, and theirs. */
  function authoredBefore(task: Task): Task[] {
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

  setHandler(stateQuery, state);

  setHandler(
    acknowledgeUpdate,
    async ({ actor, unitId, proxy }) => {
      const by = recordedActor(actor, book.get(taskKey('acknowledge', unitId)), proxy);
      const task = book.complete(taskKey('acknowledge', unitId), by, Date.now());
      syncWatchers();
      await publish(`签收:${unitId}`, [event('acknowledged', { unitId, actor: by })], [task]);
      return state();
    },
    { validator: checked<AcknowledgeInput>(({ actor, unitId, proxy }) => assertMayTake(unitTask('acknowledge', unitId), actor, proxy)) },
  );

  setHandler(
    submitReportUpdate,
    async ({ actor, unitId, report, proxy }) => {
      const now = Date.now();
      const done: Task[] = [];
      const by = recordedActor(actor, book.get(taskKey('investigation_report', unitId)), proxy);
      // Reporting proves the warning arrived: an open acknowledgement is done with it.
      const ack = book.get(taskKey('acknowledge', unitId));
      if (ack?.status === 'open') done.push(book.complete(ack.key, by, now));
      if (report.kind === 'final') done.push(book.complete(taskKey('investigation_report', unitId), by, now));
      syncWatchers();
      await publish(`上报${report.kind === 'final' ? '整体' : '阶段性'}情况:${unitId}`, [event('report_submitted', { unitId, report, actor: by })], done);
      return state();
    },
    { validator: checked<SubmitReportInput>(({ actor, unitId, proxy }) => assertMayTake(unitTask('investigation_report', unitId), actor, proxy)) },
  );

  setHandler(
    completeTaskUpdate,
    async ({ actor, taskKey: key, note, proposal, url, proxy }) => {
      const by = recordedActor(actor, book.get(key), proxy);
      const task = book.complete(key, by, Date.now());
      syncWatchers();
      const ev =
        task.kind === 'digest'
          ? event('digest_ready', { text: note!, ...(proposal ? { proposal } : {}), actor: by })
          : event('task_completed', { taskKey: key, taskKind: task.kind, ...(note ? { note } : {}), ...(url ? { url } : {}), actor: by });
      await publish(`完成:${TASK_LABELS[task.kind]}`, [ev], [task]);
      return state();
    },
    {
      validator: checked<CompleteTaskInput>(({ actor, taskKey: key, note, proxy }) => {
        const task = openTask(key);
        assertMayTake(task, actor, proxy);
        if (PER_UNIT_TASK_KINDS.includes(task.kind)) reject(REJECTION.invalid, `${key} is completed by acknowledge or submitReport`);
        if (RELEASE_TASK_KINDS.includes(task.kind)) reject(REJECTION.invalid, `${key} is completed by recordRelease`);
        if (task.approvalsNeeded.length > 0) reject(REJECTION.invalid, `${key} is completed by approvals (${task.approvalsNeeded.join(', ')})`);
        if (task.kind === 'digest' && !note?.trim()) reject(REJECTION.invalid, 'note: 舆情摘报正文不能为空 (the digest text is required)');
      }),
    },
  );

  setHandler(
    approveUpdate,
    async ({ actor, taskKey: key, role, comment }) => {
      const approval = { role, actor, at: nowIso(), ...(comment ? { comment } : {}) };
      const { task, complete } = book.approve(key, approval, Date.now());
      syncWatchers();
      await publish(`审批:${TASK_LABELS[task.kind]}(${ROLE_LABELS[role]})`, [event('approval_recorded', { taskKey: key, taskKind: task.kind, approval, complete, actor })], complete ? [task] : []);
      return state();
    },
    {
      validator: checked<ApproveInput>(({ actor, taskKey: key, role }) => {
        const task = openTask(key);
        if (!task.approvalsNeeded.includes(role)) {
          reject(REJECTION.invalid, `role: ${role} 不是本事项的审批角色 (approvals needed: ${task.approvalsNeeded.join(', ') || 'none'})`);
        }
        if (task.approvals.some((a) => a.role === role)) reject(REJECTION.conflict, `${ROLE_LABELS[role]}已审批 (already approved as ${role})`);
        assertMayApprove(task, actor, role);
      }),
    },
  );

  /** The release tasks a release of this form completes, in order of urgency. */
  function releaseTargets(form: string): Task[] {
    const kinds: TaskKind[] = form === 'press_conference' ? ['press_conference', 'authoritative_release', 'follow_up_release', 'public_response'] : ['authoritative_release', 'follow_up_release', 'public_response'];
    return kinds.map((k) => book.get(taskKey(k))).filter((t): t is Task => t?.status === 'open');
  }

  setHandler(
    recordReleaseUpdate,
    async ({ actor, form, summary, url }) => {
      const now = Date.now();
      const targets = releaseTargets(form);
      // A press conference completes its own task and, if still open, the first release.
      const done = form === 'press_conference' ? targets.filter((t) => t.kind === 'press_conference' || t.kind === 'authoritative_release') : targets.slice(0, 1);
      for (const t of done) book.complete(t.key, actor, now);
      for (const t of done) book.repeat(t.key, now);
      syncWatchers();
      const approvals = book.get(taskKey('talking_points_approval'))?.approvals ?? [];
      await publish(`对外发布:${form}`, [event('released', { form, summary, ...(url ? { url } : {}), approvals, actor })], done);
      return state();
    },
    {
      validator: checked<RecordReleaseInput>(({ actor, form, summary }) => {
        requireHandling();
        if (!summary.trim()) reject(REJECTION.invalid, 'summary: 发布内容摘要不能为空');
        const targets = releaseTargets(form);
        if (targets[0]) assertMayTake(targets[0], actor, undefined);
        else if (actor.unitId !== routing?.roleUnits.opinion_office) reject(REJECTION.forbidden, '对外发布由舆情办办理 (the opinion office records releases)');
        const approval = book.get(taskKey('talking_points_approval'));
        // Discipline (plan §8.5): nothing is released without approved talking points.
        if (approval && approval.status !== 'done') {
          reject(REJECTION.conflict, '回应口径尚未审定,不得对外发布 (talking points not yet approved)');
        }
        for (const t of releaseTargets(form)) {
          const missing = book.missingRequirements(t);
          if (missing.length > 0) reject(REJECTION.conflict, `需先完成:${missing.map((m) => TASK_LABELS[m.kind]).join('、')}`);
        }
      }),
    },
  );

  /** Puts the incident on another tier's path: new units and clocks when raising, the higher tier's left when lowering. */
  async function changeTier(to: Tier, reason: string, actor: Actor): Promise<void> {
    const from = tier;
    const raising = isRaise(from, to);
    const before = new Set(assignments.map((a) => a.unitId));
    tier = to;
    tierSince = Date.now();
    assignments = assignmentsFor(to);
    book.applyTier(tierPolicy(), assignments, tierSince, raising, `等级调整为${TIER_LABELS[to]}:${reason}`);
    syncWatchers();
    const events = [event('tier_changed', { from, to, reason, actor })];
    // Raising brings new units and leaders in: they get the link at once.
    if (raising) events.push(dispatched('tier_changed', assignments.filter((a) => !before.has(a.unitId)), actor));
    await publish(`调整等级:${TIER_LABELS[from]} → ${TIER_LABELS[to]}`, events);
  }

  setHandler(
    reclassifyUpdate,
    async ({ actor, tier: to, reason }) => {
      await changeTier(to, reason, actor);
      return state();
    },
    {
      validator: checked<ReclassifyInput>(({ tier: to, reason }) => {
        requireHandling();
        if (status !== 'handling') reject(REJECTION.conflict, `舆情已${INCIDENT_STATUS_LABELS[status]},不能调整等级`);
        if (to === tier) reject(REJECTION.conflict, `已是${TIER_LABELS[to]} (tier is already ${to})`);
        if (!reason.trim()) reject(REJECTION.invalid, 'reason: 调整等级须说明理由');
      }),
    },
  );

  setHandler(
    reassessUpdate,
    async ({ actor, tier: to, reasons, reportId }) => {
      // A report may arrive before the first step is done: wait for it, then raise only.
      await condition(() => status !== 'received');
      if (status === 'handling' && isRaise(tier, to)) {
        const why = reasons.map((r) => `${r.rule}→${TIER_LABELS[r.tier]}`).join(';');
        await changeTier(to, `新报告重新研判(报告 ${reportId}):${why}`, actor);
      }
      return state();
    },
    { validator: checked<ReassessInput>(() => undefined) },
  );

  setHandler(
    reassignUpdate,
    async ({ actor, fromUnitId, to, reason }) => {
      const now = Date.now();
      assignments = assignments.map((a) => (a.unitId === fromUnitId ? to : a));
      if (routing && routing.roleUnits[to.role] === fromUnitId) routing = { ...routing, roleUnits: { ...routing.roleUnits, [to.role]: to.unitId } };
      book.reassign(fromUnitId, to, tierPolicy(), now, `改派至 ${to.unitName}:${reason}`);
      syncWatchers();
      await publish(`改派:${fromUnitId} → ${to.unitId}`, [event('reassigned', { fromUnitId, toUnitId: to.unitId, reason, actor }), dispatched('reassigned', [to], actor)]);
      return state();
    },
    {
      validator: checked<ReassignInput>(({ fromUnitId, to, reason }) => {
        requireHandling();
        if (status !== 'handling') reject(REJECTION.conflict, `舆情已${INCIDENT_STATUS_LABELS[status]},不能改派`);
        const from = assignments.find((a) => a.unitId === fromUnitId);
        if (!from) reject(REJECTION.notFound, `单位 ${fromUnitId} 未承办本舆情`);
        if (from.role !== to.role) reject(REJECTION.invalid, `to.role: must stay ${from.role}`);
        if (assignments.some((a) => a.unitId === to.unitId)) reject(REJECTION.conflict, `单位 ${to.unitId} 已承办本舆情`);
        if (!reason.trim()) reject(REJECTION.invalid, 'reason: 改派须说明理由');
      }),
    },
  );

  setHandler(
    closeUpdate,
    async ({ actor, reason, force }) => {
      book.cancelOpen('handling', force ? `强制结束:${reason}` : '处置结束,可选事项撤销', !force);
      status = 'closed';
      closedReason = reason;
      book.openClosing(tierPolicy(), Date.now());
      syncWatchers();
      await publish('处置结束', [event('closed', { reason, forced: force ?? false, actor })]);
      return state();
    },
    {
      validator: checked<CloseInput>(({ reason, force }) => {
        requireHandling();
        if (status !== 'handling') reject(REJECTION.conflict, `舆情已${INCIDENT_STATUS_LABELS[status]}`);
        if (!reason.trim()) reject(REJECTION.invalid, 'reason: 须说明结束理由');
        const outstanding = book.outstanding('handling');
        if (!force && outstanding.length > 0) {
          reject(REJECTION.conflict, `尚有必办事项未完成:${outstanding.map((t) => `${TASK_LABELS[t.kind]}${t.unitId ? `(${t.unitId})` : ''}`).join('、')}`);
        }
      }),
    },
  );

  // ---- the path -----------------------------------------------------------------

  ({ policy, routing } = await activities.prepareIncident.executeWithOptions({ ...LOCAL, summary: '读取处置策略与责任单位' }, [
    { topic: input.topic, ...(input.district ? { district: input.district } : {}) },
  ]));
  assignments = assignmentsFor(tier);
  tierSince = Date.now();
  status = 'handling';
  const received = event(
    'received',
    {
      title: input.title,
      ...(input.summary ? { summary: input.summary } : {}),
      source: input.source,
      topic: input.topic,
      ...(input.district ? { district: input.district } : {}),
      metrics: input.metrics,
      flags: input.flags as EventDataMap['received']['flags'],
      receivedAt: input.receivedAt,
      clientId: input.clientId,
    },
    input.receivedAt,
  );
  const assessed = event('assessed', { reasons: [...input.reasons], policyVersion: policy.version, lead: tierPolicy().lead });
  book.applyTier(tierPolicy(), assignments, tierSince, false, '');
  syncWatchers();
  await publish(`接收、定级、转办:${TIER_LABELS[tier]}`, [received, assessed, dispatched('initial', assignments)]);

  // Closed, and the post-incident review (if the tier requires one) done: archive.
  await condition(() => status === 'closed' && book.outstanding('closing').length === 0);
  book.cancelOpen('closing', '归档', true);
  status = 'archived';
  syncWatchers();
  await publish('归档', [event('archived', { actor: SYSTEM })]);
  await condition(allHandlersFinished);
  return state();
}
