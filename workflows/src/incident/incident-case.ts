import type { Routing } from '@yuqing/activities';
import {
  CONTENT_FIELD_LABELS,
  INCIDENT_STATUS_LABELS,
  ADDABLE_TASK_OWNERS,
  DURATION_PATTERN,
  EVERY_ASSIGNEE_TASK_KINDS,
  RELEASE_TASK_KINDS,
  ROLE_LABELS,
  OUTSIDE_REPORT_TASK_KINDS,
  TASK_CONTENT,
  TASK_LABELS,
  TIER_LABELS,
  WRITTEN_TASK_KINDS,
  type Actor,
  type Assignment,
  type EventDataMap,
  type IncidentEvent,
  type IncidentStatus,
  type PolicySnapshot,
  type ReleaseForm,
  type TaskKind,
  type Tier,
  type TierPolicy,
  type Writing,
  FLAG_FLOORS,
  FLAG_LABELS,
  maxTier,
  suggestedOnly,
  tierRank,
  type Flag,
  type DistrictCode,
} from '@yuqing/shared/domain';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { activities, LOCAL } from './activities';
import { DeadlineWatcher } from './deadline-watcher';
import { IncidentRecorder } from './incident-recorder';
import {
  REJECTION,
  type AcknowledgeInput,
  type ApproveInput,
  type CloseInput,
  type CompleteTaskInput,
  type IncidentState,
  type IncidentWorkflowInput,
  type AbsorbInput,
  type MergeInput,
  type ReassessInput,
  type SplitInput,
  type SurgeInput,
  type ReassignInput,
  type RefuseHandOffInput,
  type RenewTalkingPointsInput,
  type RequestHandOffInput,
  type ReclassifyInput,
  type AddTaskInput,
  type RecordReleaseInput,
  type ReturnTaskInput,
  type SubmitReportInput,
} from './incident.messages';
import { reject } from './rejection';
import { assertMayApprove, assertMayTake, recordedActor } from './step-rules';
import { addedStep, isRaise, taskKey, TaskBook, type Task } from './task-book';
import { IncidentVisibility } from './visibility';

const SYSTEM: Actor = { id: 'system:workflow', kind: 'system' };

/** Histories before it counted clocks from dispatch and left a kept task's clock as the higher tier set it. */
export const PLAN_CLOCKS_PATCH = 'plan-clocks-2026-12-02';
/** Histories before it restarted a handed-on step's clock and had no lead-department step. */
export const PLAN_STEPS_PATCH = 'plan-steps-2026-12-02';

/** How long the opinion office has to confirm or refuse a hand-off request (杜绝推诿: decided quickly, the clock runs meanwhile). */
const HAND_OFF_REVIEW_DEADLINE = '30m';

/**
 * One incident once its policy and its units are known: its state, its tasks and
 * their deadlines, and one method (with its validator) per human step. The
 * workflow creates it after the first step and forwards every Update to it.
 */
export class IncidentCase {
  private tier: Tier;
  private tierSince = Date.now();
  private status: IncidentStatus = 'handling';
  private assignments: Assignment[] = [];
  private closedReason: string | undefined;
  /** Every version of written work others approve (talking points, response plan), oldest first. */
  private readonly writings: Writing[] = [];
  /** The tier rests on the reporter's word alone until someone changes it: the group confirms it (`onlyWhen`). */
  private suggestedOnly: boolean;
  /** Closing-phase steps a higher tier required before the tier was lowered (the review). */
  private readonly owedClosing: TierPolicy['tasks'] = [];
  /** The incident's district now: intake's, until a hand-off to another district's bureau moves it. */
  private district: DistrictCode | undefined;
  /** Hand-off requests awaiting the office, by the unit asking. */
  private readonly handOffs = new Map<string, { unitId: string; toUnitId?: string; reason: string; taskKey: string }>();
  /** Units that handed the incident on: no unit may hand it back to them (plan §8(五)3). */
  private readonly handedOn = new Set<string>();
  private readonly book: TaskBook;
  private readonly recorder: IncidentRecorder;
  private readonly visibility: IncidentVisibility;
  private readonly deadlines: DeadlineWatcher;

  constructor(
    private readonly input: IncidentWorkflowInput,
    private readonly policy: PolicySnapshot,
    private routing: Routing,
    private readonly versions: { readonly recordEventsByName: boolean; readonly planClocks: boolean; readonly planSteps?: boolean },
    /** When the first step finished (prepareIncident's `finishedAt`; absent in older histories). */
    finishedAt?: number,
  ) {
    this.tier = input.tier;
    this.district = input.district;
    this.visibility = new IncidentVisibility(input.district);
    this.suggestedOnly = suggestedOnly(input);
    // Plan §5(四): the 4 h and 24 h count from when intake accepted the incident; an outage of the
    // engine between acceptance and dispatch must not extend a statutory deadline.
    if (versions.planClocks) this.tierSince = Math.min(Date.parse(input.receivedAt), Date.now());
    this.book = new TaskBook((role) => this.routing.roleUnits[role]);
    this.recorder = new IncidentRecorder(
      input.incidentId,
      this.book,
      () => ({
        tier: this.tier,
        status: this.status,
        policyVersion: this.policy.version,
        ...(this.district !== this.input.district && this.district ? { districtCode: this.district } : {}),
      }),
      versions.recordEventsByName,
    );
    this.deadlines = new DeadlineWatcher(
      this.book,
      this.recorder,
      (role) => this.routing.roleUnits[role],
      () => this.showState(),
      versions.planClocks ? (finishedAt ?? 0) : 0,
    );
    this.assignments = this.assignmentsFor(this.tier);
  }

  state(): IncidentState {
    return {
      incidentId: this.input.incidentId,
      tier: this.tier,
      tierSince: new Date(this.tierSince).toISOString(),
      status: this.status,
      policyVersion: this.policy.version,
      assignments: [...this.assignments],
      tasks: this.book.snapshots(),
      overdue: this.book.anyOverdue(),
      ...(this.closedReason ? { closedReason: this.closedReason } : {}),
      ...(this.writings.length > 0 ? { writings: [...this.writings] } : {}),
      ...(this.district ? { district: this.district } : {}),
      ...(this.handOffs.size > 0 ? { handOffs: [...this.handOffs.values()] } : {}),
    };
  }

  // ---- the path -------------------------------------------------------------------

  /** Received, assessed and dispatched (plan §5): the tier's tasks open and their clocks start. */
  async dispatch(): Promise<void> {
    const { input } = this;
    const received = this.recorder.event(
      'received',
      {
        title: input.title,
        ...(input.summary ? { summary: input.summary } : {}),
        source: input.source,
        topic: input.topic,
        ...(input.district ? { district: input.district } : {}),
        metrics: input.metrics,
        flags: input.flags,
        receivedAt: input.receivedAt,
        clientId: input.clientId,
      },
      input.receivedAt,
    );
    const assessed = this.recorder.event('assessed', { reasons: [...input.reasons], policyVersion: this.policy.version, lead: this.tierPolicy().lead });
    this.book.applyTier(this.tierPolicy(), this.assignments, this.tierSince, false, '');
    this.syncDeadlines();
    await this.recorder.record(`接收、定级、转办:${TIER_LABELS[this.tier]}`, [received, assessed, this.dispatched('initial', this.assignments)]);
  }

  /** Closed, and the post-incident review (if the tier requires one) done; or merged into another incident. */
  readyToArchive(): boolean {
    return this.status === 'merged' || (this.status === 'closed' && this.book.outstanding('closing').length === 0);
  }

  async archive(): Promise<void> {
    // A merged incident ends as merged: the survivor carries on and is archived in its time.
    if (this.status === 'merged') return;
    this.book.cancelOpen('closing', '归档', true);
    this.status = 'archived';
    this.syncDeadlines();
    await this.recorder.record('归档', [this.recorder.event('archived', { actor: SYSTEM })]);
  }

  // ---- human steps (one method and one validator per Update) ----------------------

  validateAcknowledge({ actor, unitId, proxy }: AcknowledgeInput): void {
    assertMayTake(this.unitTask('acknowledge', unitId), actor, proxy, this.office());
  }
  async acknowledge({ actor, unitId, proxy }: AcknowledgeInput): Promise<IncidentState> {
    const by = recordedActor(actor, this.book.get(taskKey('acknowledge', unitId)), proxy);
    const task = this.book.complete(taskKey('acknowledge', unitId), by, Date.now());
    this.syncDeadlines();
    await this.recorder.record(`签收:${unitId}`, [this.recorder.event('acknowledged', { unitId, actor: by })], [task]);
    return this.state();
  }

  validateSubmitReport({ actor, unitId, proxy, report }: SubmitReportInput): void {
    assertMayTake(this.unitTask('investigation_report', unitId), actor, proxy, this.office());
    // Plan §6(二): a report found true, or partly, is dealt with — say how and with what measures.
    if (report.kind === 'final' && (report.findings.truth === 'true' || report.findings.truth === 'partly')) {
      if (report.dispositions.length === 0)
        reject(REJECTION.invalid, 'dispositions: 舆情属实或部分属实,须至少选择一项处置方式 (a true finding needs a disposition)');
      if (!report.measures?.trim()) reject(REJECTION.invalid, 'measures: 舆情属实或部分属实,须说明处置措施 (a true finding needs its measures)');
    }
  }
  async submitReport({ actor, unitId, report, proxy }: SubmitReportInput): Promise<IncidentState> {
    const now = Date.now();
    const done: Task[] = [];
    const by = recordedActor(actor, this.book.get(taskKey('investigation_report', unitId)), proxy);
    // Reporting proves the warning arrived: an open acknowledgement is done with it.
    const ack = this.book.get(taskKey('acknowledge', unitId));
    if (ack?.status === 'open') done.push(this.book.complete(ack.key, by, now));
    if (report.kind === 'final') done.push(this.book.complete(taskKey('investigation_report', unitId), by, now));
    // Plan §6(二)4: what the bureau cannot handle alone goes to the local government; the unit's part stays open until it names a lead department.
    const leadDepartment =
      this.versions.planSteps && report.kind === 'final' && report.dispositions.includes('report_local_government') && !this.leadDepartmentStep(unitId)
        ? this.book.add(addedStep('lead_department', this.roleOf(unitId)), unitId, now)
        : undefined;
    this.syncDeadlines();
    await this.recorder.record(
      `上报${report.kind === 'final' ? '整体' : '阶段性'}情况:${unitId}`,
      [
        this.recorder.event('report_submitted', { unitId, report, actor: by }),
        ...(leadDepartment
          ? [
              this.recorder.event('task_added', {
                taskKey: leadDepartment.key,
                taskKind: 'lead_department',
                unitId,
                reason: '须向属地党委政府汇报,明确牵头部门后再开展应对处置 (plan §6(二)4)',
                actor: by,
              }),
            ]
          : []),
      ],
      done,
    );
    return this.state();
  }

  validateCompleteTask({ actor, taskKey: key, note, proxy, content, sendTo }: CompleteTaskInput): void {
    const task = this.openTask(key);
    assertMayTake(task, actor, proxy, this.office());
    if (EVERY_ASSIGNEE_TASK_KINDS.includes(task.kind)) reject(REJECTION.invalid, `${key} is completed by acknowledge or submitReport`);
    if (RELEASE_TASK_KINDS.includes(task.kind)) reject(REJECTION.invalid, `${key} is completed by recordRelease`);
    if (task.approvalsNeeded.length > 0) reject(REJECTION.invalid, `${key} is completed by approvals (${task.approvalsNeeded.join(', ')})`);
    if (task.kind === 'hand_off_review') reject(REJECTION.invalid, `${key}: 移交申请以改派或不同意移交办结 (decided by reassign or refuse-hand-off)`);
    if (task.kind === 'digest' && !note?.trim()) reject(REJECTION.invalid, 'note: 舆情摘报正文不能为空 (the digest text is required)');
    // 报送 names the bodies it goes to (dispatch sends to them); no other step sends anything outside.
    const reports = OUTSIDE_REPORT_TASK_KINDS.includes(task.kind);
    if (reports && !sendTo?.length) reject(REJECTION.invalid, 'sendTo: 须选择报送单位 (name at least one outside body)');
    if (!reports && sendTo?.length) reject(REJECTION.invalid, `sendTo: ${TASK_LABELS[task.kind]}不向外部单位报送 (this step reports to no one)`);
    // Plan §7: each step carries what it records; name every empty field at once.
    const missing = (TASK_CONTENT[task.kind] ?? []).filter((f) => !content?.[f]?.trim());
    if (missing.length > 0) {
      reject(
        REJECTION.invalid,
        `${missing.map((f) => `content.${f}`).join(', ')}: ${TASK_LABELS[task.kind]}须填写${missing.map((f) => CONTENT_FIELD_LABELS[f]).join('、')} (required: ${missing.join(', ')})`,
      );
    }
  }
  async completeTask({ actor, taskKey: key, note, proposal, url, proxy, content, sendTo }: CompleteTaskInput): Promise<IncidentState> {
    const now = Date.now();
    const by = recordedActor(actor, this.book.get(key), proxy);
    const task = this.book.complete(key, by, now);
    // A repeating step (a district's progress report every few hours) opens its next round.
    if (task.def.repeat) this.book.repeat(key, now);
    this.syncDeadlines();
    const version = WRITTEN_TASK_KINDS.includes(task.kind) ? this.write(task.kind, content ?? {}, by, now) : undefined;
    const ev =
      task.kind === 'digest'
        ? this.recorder.event('digest_ready', { text: note!, ...(proposal ? { proposal } : {}), actor: by })
        : this.recorder.event('task_completed', {
            taskKey: key,
            taskKind: task.kind,
            ...(note ? { note } : {}),
            ...(url ? { url } : {}),
            ...(content && Object.keys(content).length > 0 ? { content } : {}),
            ...(version ? { version } : {}),
            ...(sendTo?.length ? { sendTo: [...sendTo] } : {}),
            actor: by,
          });
    await this.recorder.record(`完成:${TASK_LABELS[task.kind]}`, [ev], [task]);
    return this.state();
  }

  validateApprove({ actor, taskKey: key, role, version }: ApproveInput): void {
    const task = this.openTask(key);
    if (!task.approvalsNeeded.includes(role)) {
      reject(REJECTION.invalid, `role: ${role} 不是本事项的审批角色 (approvals needed: ${task.approvalsNeeded.join(', ') || 'none'})`);
    }
    if (task.approvals.some((a) => a.role === role)) reject(REJECTION.conflict, `${ROLE_LABELS[role]}已审批 (already approved as ${role})`);
    assertMayApprove(this.book, task, actor, role);
    // An approval is of the exact text its approver read (plan §7: 审定口径).
    const current = this.approvedWriting(task);
    if (current && version === undefined)
      reject(REJECTION.invalid, `version: 须注明审定的版本(当前为第${current.version}稿) (the version approved is required)`);
    if (current && version !== current.version)
      reject(REJECTION.conflict, `审定的是第${version}稿,当前为第${current.version}稿,请阅后再审 (version ${version} is not the current ${current.version})`);
  }
  async approve({ actor, taskKey: key, role, comment }: ApproveInput): Promise<IncidentState> {
    const current = this.approvedWriting(this.book.get(key)!);
    const approval = { role, actor, at: new Date(Date.now()).toISOString(), ...(comment ? { comment } : {}) };
    const { task, complete } = this.book.approve(key, approval, Date.now());
    this.syncDeadlines();
    await this.recorder.record(
      `审批:${TASK_LABELS[task.kind]}(${ROLE_LABELS[role]})`,
      [
        this.recorder.event('approval_recorded', {
          taskKey: key,
          taskKind: task.kind,
          approval,
          complete,
          ...(current ? { version: current.version } : {}),
          actor,
        }),
      ],
      complete ? [task] : [],
    );
    return this.state();
  }

  validateRecordRelease({ actor, form, summary, channel, talkingPointsVersion }: RecordReleaseInput): void {
    this.requireHandling();
    if (!summary.trim()) reject(REJECTION.invalid, 'summary: 发布内容摘要不能为空');
    if (!channel?.trim()) reject(REJECTION.invalid, 'channel: 须注明发布渠道 (the release channel is required)');
    const targets = this.releaseTargets(form);
    if (targets[0]) assertMayTake(targets[0], actor, undefined, this.office());
    else if (actor.unitId !== this.office()) reject(REJECTION.forbidden, '对外发布由舆情办办理 (the opinion office records releases)');
    const approval = this.book.get(taskKey('talking_points_approval'));
    // Discipline (plan §8.5): nothing is released without approved talking points.
    if (approval && approval.status !== 'done') reject(REJECTION.conflict, '回应口径尚未审定,不得对外发布 (talking points not yet approved)');
    // Plan §7(三): once tracking is done, speaking again needs follow-up talking points, decided by the group and approved afresh.
    const tracking = this.book.get(taskKey('tracking'));
    if (tracking?.doneAt && approval?.doneAt && Date.parse(approval.doneAt) < Date.parse(tracking.doneAt))
      reject(
        REJECTION.conflict,
        '舆情跟踪后再次发布,须由领导小组会商决定准备后续回应口径,并重新审定 (after tracking, a release needs follow-up talking points approved afresh)',
      );
    const approved = approval?.status === 'done' ? this.approvedWriting(approval) : undefined;
    if (approved && talkingPointsVersion !== approved.version)
      reject(
        REJECTION.invalid,
        `talkingPointsVersion: 发布须使用审定的口径第${approved.version}稿 (the release uses approved talking points version ${approved.version}; got ${talkingPointsVersion ?? 'none'})`,
      );
    for (const t of targets) {
      const missing = this.book.missingRequirements(t);
      if (missing.length > 0) reject(REJECTION.conflict, `需先完成:${missing.map((m) => TASK_LABELS[m.kind]).join('、')}`);
    }
  }
  async recordRelease({ actor, form, summary, url, channel, talkingPointsVersion }: RecordReleaseInput): Promise<IncidentState> {
    const now = Date.now();
    const targets = this.releaseTargets(form);
    // A press conference completes its own task and, if still open, the first release.
    const done = form === 'press_conference' ? targets.filter((t) => t.kind === 'press_conference' || t.kind === 'authoritative_release') : targets.slice(0, 1);
    for (const t of done) this.book.complete(t.key, actor, now);
    for (const t of done) this.book.repeat(t.key, now);
    this.syncDeadlines();
    const approvals = this.book.get(taskKey('talking_points_approval'))?.approvals ?? [];
    await this.recorder.record(
      `对外发布:${form}`,
      [
        this.recorder.event('released', {
          form,
          summary,
          ...(url ? { url } : {}),
          ...(channel ? { channel } : {}),
          ...(talkingPointsVersion ? { talkingPointsVersion } : {}),
          approvals,
          actor,
        }),
      ],
      done,
    );
    return this.state();
  }

  /** After the response, the group decides follow-up talking points are needed (plan §7(三)): a new round, approved afresh. */
  validateRenewTalkingPoints({ actor, reason }: RenewTalkingPointsInput): void {
    this.requireStillHandling('不再准备后续口径');
    if (actor.unitId !== this.routing.roleUnits.leadership_group)
      reject(REJECTION.forbidden, '是否准备后续回应口径由领导小组会商决定 (the leadership group decides follow-up talking points)');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 须说明会商研判意见');
    const wording = this.book.get(taskKey('talking_points_wording'));
    const approval = this.book.get(taskKey('talking_points_approval'));
    if (wording?.status !== 'done' || approval?.status !== 'done')
      reject(REJECTION.conflict, '本舆情尚无审定的回应口径,按原流程拟定即可 (no approved talking points to follow up)');
  }
  async renewTalkingPoints({ actor, reason }: RenewTalkingPointsInput): Promise<IncidentState> {
    const wording = this.book.renew(taskKey('talking_points_wording'), Date.now());
    this.syncDeadlines();
    await this.recorder.record('会商决定准备后续口径', [this.recorder.event('talking_points_renewed', { reason, actor })], [wording]);
    return this.state();
  }

  validateAddTask({ actor, kind, deadline, reason }: AddTaskInput): void {
    this.requireStillHandling('不能增加事项');
    if (actor.unitId !== this.office()) reject(REJECTION.forbidden, '研判增加处置事项由舆情办办理 (the opinion office adds steps)');
    if (!(kind in ADDABLE_TASK_OWNERS)) reject(REJECTION.invalid, `kind: 不能增加「${kind}」`);
    if (!DURATION_PATTERN.test(deadline)) reject(REJECTION.invalid, 'deadline: 时限格式如 "24h"、"30m" (a duration)');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 须说明增加事项的理由');
    if (!this.unitForAdded(kind)) reject(REJECTION.conflict, `「${TASK_LABELS[kind]}」没有承办单位 (no unit holds ${ADDABLE_TASK_OWNERS[kind]})`);
  }
  async addTask({ actor, kind, deadline, reason }: AddTaskInput): Promise<IncidentState> {
    const owner = ADDABLE_TASK_OWNERS[kind];
    const unitId = this.unitForAdded(kind);
    // Chased like any other step: the owner at the deadline, the office an hour later.
    const task = this.book.add(addedStep(kind, owner, deadline, { after: '1h', to: 'opinion_office' }), unitId, Date.now());
    this.syncDeadlines();
    await this.recorder.record(`增加事项:${TASK_LABELS[kind]}`, [
      this.recorder.event('task_added', { taskKey: task.key, taskKind: kind, ...(unitId ? { unitId } : {}), reason, actor }),
    ]);
    return this.state();
  }

  /**
   * 退回: an approver sends written work back before approving it (plan §7), or the
   * office sends back a unit's report as unclear or inadequate (§6(三)2).
   */
  validateReturnTask({ actor, taskKey: key, reason }: ReturnTaskInput): void {
    this.requireHandling();
    const task = this.book.get(key);
    if (!task) reject(REJECTION.notFound, `本舆情没有事项 ${key} (no task ${key} on this incident)`);
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 退回须说明理由');
    if (task.status !== 'done') reject(REJECTION.conflict, `「${TASK_LABELS[task.kind]}」尚未提交,无需退回 (only done work is returned)`);
    if (task.kind === 'investigation_report') {
      if (actor.unitId !== this.office()) reject(REJECTION.forbidden, '调查处置情况由舆情办审核退回 (the opinion office returns reports)');
      return;
    }
    const approval = WRITTEN_TASK_KINDS.includes(task.kind)
      ? this.book.list().find((t) => t.def.after.includes(task.kind) && t.approvalsNeeded.length > 0)
      : undefined;
    if (!approval) reject(REJECTION.invalid, `「${TASK_LABELS[task.kind]}」不能退回 (only written work awaiting approval, or a report, is returned)`);
    if (approval.status === 'done') reject(REJECTION.conflict, `「${TASK_LABELS[approval.kind]}」已完成,不能再退回 (already approved)`);
    if (actor.kind !== 'person' || !approval.approvalsNeeded.some((r) => actor.roles?.includes(r)))
      reject(REJECTION.forbidden, `仅审批人(${approval.approvalsNeeded.map((r) => ROLE_LABELS[r]).join('、')})可退回 (only an approver returns it)`);
  }
  async returnTask({ actor, taskKey: key, reason }: ReturnTaskInput): Promise<IncidentState> {
    const task = this.book.reopen(key, Date.now());
    this.syncDeadlines();
    await this.recorder.record(
      `退回:${TASK_LABELS[task.kind]}`,
      [this.recorder.event('task_returned', { taskKey: key, taskKind: task.kind, reason, actor })],
      [task],
    );
    return this.state();
  }

  validateReclassify({ actor, tier: to, reason }: ReclassifyInput): void {
    this.requireStillHandling('不能调整等级');
    if (to === this.tier) reject(REJECTION.conflict, `已是${TIER_LABELS[to]} (tier is already ${to})`);
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 调整等级须说明理由');
    // Plan §4: what the flags make "always major" (or critical) is lowered below that only by the group's leader.
    const floor = this.floor();
    if (tierRank(to) < tierRank(floor.tier) && !(actor.kind === 'person' && actor.roles?.includes('leader'))) {
      reject(
        REJECTION.forbidden,
        `依预案,${floor.flags.map((f) => FLAG_LABELS[f]).join('、')}的舆情至少为${TIER_LABELS[floor.tier]},仅领导小组组长可下调 (below the ${floor.tier} floor only the leader lowers it)`,
      );
    }
  }
  async reclassify({ actor, tier: to, reason }: ReclassifyInput): Promise<IncidentState> {
    await this.changeTier(to, reason, actor);
    return this.state();
  }

  /** A new report raised the assessment: raise the tier, never lower it; nothing once handling ended. */
  async reassess({ actor, tier: to, reasons, reportId, reportIds }: ReassessInput): Promise<IncidentState> {
    if (this.status === 'handling' && isRaise(this.tier, to)) {
      const why = reasons.map((r) => `${r.rule}→${TIER_LABELS[r.tier]}`).join(';');
      const reports = reportIds?.length ? reportIds.join('、') : reportId;
      await this.changeTier(to, `新报告重新研判(报告 ${reports}):${why}`, actor);
    }
    return this.state();
  }

  /** The spread doubled within the window: the opinion office is alerted, whatever the tier; nothing once handling ended. */
  async surge({ actor, spreadPerHour, baseline, window, reportIds }: SurgeInput): Promise<IncidentState> {
    if (this.status === 'handling') {
      const ev = this.recorder.event('surge', { spreadPerHour, baseline, window, reportIds: [...reportIds], actor });
      await this.recorder.record(`传播激增预警:${baseline} → ${spreadPerHour}/小时`, [ev]);
    }
    return this.state();
  }

  // ---- the office corrects the grouping (issue 15) ----------------------------------

  validateMerge({ intoIncidentId, reason }: MergeInput): void {
    this.requireStillHandling('不能合并');
    if (intoIncidentId.toLowerCase() === this.input.incidentId) reject(REJECTION.invalid, 'intoIncidentId: 不能并入自身 (cannot merge into itself)');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 合并须说明理由');
  }
  /**
   * Merged into another incident, which carries on: the reports move there (and its
   * `absorb` Update is queued with what was done here), the open tasks end as covered
   * by the survivor's, and this workflow ends as merged.
   */
  async merge({ actor, intoIncidentId, reason }: MergeInput): Promise<IncidentState> {
    const tasksDone = this.book
      .list()
      .filter((t) => t.status === 'done')
      .map((t) => ({ key: t.key, kind: t.kind, ...(t.doneAt ? { doneAt: t.doneAt } : {}), ...(t.doneBy ? { doneBy: t.doneBy } : {}) }));
    const { reports } = await failAsRejection(() =>
      activities.mergeIncidentRecords.executeWithOptions({ ...CORRECTION, summary: `并入舆情 ${intoIncidentId}` }, [
        { fromIncidentId: this.input.incidentId, intoIncidentId, actor, reason, fromTier: this.tier, tasksDone },
      ]),
    );
    this.book.cancelOpen('handling', `并入舆情 ${intoIncidentId},由其承接`, false);
    this.status = 'merged';
    this.closedReason = `并入舆情 ${intoIncidentId}:${reason}`;
    this.syncDeadlines();
    await this.recorder.record(`并入舆情 ${intoIncidentId}`, [this.recorder.event('merged', { intoIncidentId, reason, reportCount: reports, actor })]);
    return this.state();
  }

  /**
   * The survivor's side of a merge (queued by the merged incident): its reports are
   * here now; a unit that acknowledged the merged incident has acknowledged this
   * event too; and this incident is at least the merged one's tier (or what all the
   * reports now call for), so the merged incident's clocks are covered by these.
   */
  async absorb({ actor, fromIncidentId, fromTier, reason, reportCount, tasksDone, assessment }: AbsorbInput): Promise<IncidentState> {
    const now = Date.now();
    const done = this.status === 'handling' ? tasksDone.filter((t) => t.kind === 'acknowledge' && t.doneBy && this.book.get(t.key)?.status === 'open') : [];
    const completed = done.map((t) => this.book.complete(t.key, t.doneBy!, now));
    this.syncDeadlines();
    await this.recorder.record(
      `合并舆情 ${fromIncidentId}`,
      [this.recorder.event('absorbed', { fromIncidentId, fromTier, reason, reportCount, tasksDone: [...tasksDone], actor })],
      completed,
    );
    const target = maxTier(fromTier, assessment?.tier ?? this.tier);
    if (this.status === 'handling' && isRaise(this.tier, target)) {
      await this.changeTier(target, `合并舆情 ${fromIncidentId}(${TIER_LABELS[fromTier]}):${reason}`, actor);
    }
    return this.state();
  }

  validateSplit({ reportIds, newIncidentId, reason }: SplitInput): void {
    this.requireStillHandling('不能拆分');
    if (reportIds.length === 0) reject(REJECTION.invalid, 'reportIds: 至少拆出一条报告');
    if (newIncidentId === this.input.incidentId) reject(REJECTION.invalid, 'newIncidentId: 须为新舆情');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 拆分须说明理由');
  }
  /** Reports moved out into a new incident of their own, which starts its own workflow. */
  async split({ actor, reportIds, newIncidentId, reason }: SplitInput): Promise<IncidentState> {
    await failAsRejection(() =>
      activities.splitIncidentRecords.executeWithOptions({ ...CORRECTION, summary: `拆分 ${reportIds.length} 条报告为新舆情` }, [
        { incidentId: this.input.incidentId, newIncidentId, reportIds, actor, reason },
      ]),
    );
    await this.recorder.record(`拆分为新舆情 ${newIncidentId}`, [this.recorder.event('split', { newIncidentId, reportIds: [...reportIds], reason, actor })]);
    return this.state();
  }

  /**
   * 杜绝推诿 (plan §8(五)3): a unit says "not ours". The opinion office confirms it
   * (reassign) or refuses it; meanwhile the unit's part and its clock stay as they are.
   */
  validateRequestHandOff({ actor, unitId, toUnitId, reason }: RequestHandOffInput): void {
    this.requireStillHandling('不能移交');
    if (!this.assignments.some((a) => a.unitId === unitId)) reject(REJECTION.notFound, `单位 ${unitId} 未承办本舆情`);
    if (actor.unitId !== unitId) reject(REJECTION.forbidden, '只能申请移交本单位承办的部分 (a unit asks to hand on only its own part)');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 申请移交须说明理由');
    if (this.handOffs.has(unitId)) reject(REJECTION.conflict, '本单位的移交申请待舆情办审核,请勿重复申请 (a request is already waiting)');
    if (toUnitId === unitId) reject(REJECTION.invalid, 'toUnitId: 不能移交给本单位');
    if (toUnitId && this.handedOn.has(toUnitId))
      reject(REJECTION.conflict, 'toUnitId: 该单位已将本舆情移交出去,不得移交回该单位 (no handing back to a unit that handed it on)');
    if (toUnitId && this.assignments.some((a) => a.unitId === toUnitId)) reject(REJECTION.conflict, `toUnitId: 单位 ${toUnitId} 已承办本舆情`);
  }
  async requestHandOff({ actor, unitId, toUnitId, reason }: RequestHandOffInput): Promise<IncidentState> {
    const review = this.book.add(
      addedStep('hand_off_review', 'opinion_office', HAND_OFF_REVIEW_DEADLINE, { after: '30m', to: 'office_director' }),
      this.office(),
      Date.now(),
    );
    const request = { unitId, ...(toUnitId ? { toUnitId } : {}), reason, taskKey: review.key };
    this.handOffs.set(unitId, request);
    this.syncDeadlines();
    await this.recorder.record(`申请移交:${unitId}`, [this.recorder.event('hand_off_requested', { ...request, actor })]);
    return this.state();
  }

  validateRefuseHandOff({ actor, unitId, reason }: RefuseHandOffInput): void {
    this.requireHandling();
    if (actor.unitId !== this.office()) reject(REJECTION.forbidden, '移交申请由舆情办审核 (the opinion office decides hand-offs)');
    if (!this.handOffs.has(unitId)) reject(REJECTION.notFound, `单位 ${unitId} 没有待审核的移交申请`);
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 不同意移交须说明理由');
  }
  /** Refused: the unit keeps its part, on the clock it had. */
  async refuseHandOff({ actor, unitId, reason }: RefuseHandOffInput): Promise<IncidentState> {
    const { taskKey: key } = this.handOffs.get(unitId)!;
    this.handOffs.delete(unitId);
    const review = this.book.complete(key, actor, Date.now());
    this.syncDeadlines();
    await this.recorder.record(
      `不同意移交:${unitId}`,
      [this.recorder.event('hand_off_refused', { unitId, role: this.roleOf(unitId), reason, taskKey: key, actor })],
      [review],
    );
    return this.state();
  }

  validateReassign({ actor, fromUnitId, to, reason, newClockReason }: ReassignInput): void {
    this.requireStillHandling('不能改派');
    if (actor.unitId !== this.office())
      reject(REJECTION.forbidden, '改派由舆情办决定;承办单位请申请移交 (the opinion office hands parts on; a unit asks with hand-off)');
    const from = this.assignments.find((a) => a.unitId === fromUnitId);
    if (!from) reject(REJECTION.notFound, `单位 ${fromUnitId} 未承办本舆情`);
    if (from.role !== to.role) reject(REJECTION.invalid, `to.role: must stay ${from.role}`);
    if (this.assignments.some((a) => a.unitId === to.unitId)) reject(REJECTION.conflict, `单位 ${to.unitId} 已承办本舆情`);
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 改派须说明理由');
    if (newClockReason !== undefined && !newClockReason.trim()) reject(REJECTION.invalid, 'newClockReason: 重新计时须说明理由');
  }
  /**
   * The office hands a unit's part on (confirming its request, if it made one): the
   * receiving unit gets the steps, the district follows a district bureau, and the
   * original clock keeps running unless the office grants a new one.
   */
  async reassign({ actor, fromUnitId, to, reason, district, newClockReason }: ReassignInput): Promise<IncidentState> {
    const now = Date.now();
    this.assignments = this.assignments.map((a) => (a.unitId === fromUnitId ? to : a));
    if (this.routing.roleUnits[to.role] === fromUnitId) this.routing = { ...this.routing, roleUnits: { ...this.routing.roleUnits, [to.role]: to.unitId } };
    const planSteps = this.versions.planSteps === true;
    this.book.reassign(fromUnitId, to, this.tierPolicy(), now, `改派至 ${to.unitName}:${reason}`, {
      keepClock: planSteps && !newClockReason,
      receiverAcknowledges: planSteps,
    });
    const request = this.handOffs.get(fromUnitId);
    const done = request ? [this.book.complete(request.taskKey, actor, now)] : [];
    this.handOffs.delete(fromUnitId);
    this.handedOn.add(fromUnitId);
    const moved = planSteps && to.role === 'district_bureau' && district && district !== this.district;
    if (moved) {
      this.district = district;
      this.visibility.moveDistrict(district);
    }
    this.syncDeadlines();
    await this.recorder.record(
      `改派:${fromUnitId} → ${to.unitId}`,
      [
        this.recorder.event('reassigned', {
          fromUnitId,
          toUnitId: to.unitId,
          reason,
          ...(moved ? { district } : {}),
          ...(newClockReason ? { newClockReason } : {}),
          actor,
        }),
        this.dispatched('reassigned', [to], actor),
      ],
      done,
    );
    return this.state();
  }

  validateClose({ reason, force }: CloseInput): void {
    this.requireStillHandling('不能再结束处置');
    if (!reason.trim()) reject(REJECTION.invalid, 'reason: 须说明结束理由');
    const outstanding = this.book.outstanding('handling');
    if (!force && outstanding.length > 0) {
      reject(REJECTION.conflict, `尚有必办事项未完成:${outstanding.map((t) => `${TASK_LABELS[t.kind]}${t.unitId ? `(${t.unitId})` : ''}`).join('、')}`);
    }
  }
  async close({ actor, reason, force }: CloseInput): Promise<IncidentState> {
    this.book.cancelOpen('handling', force ? `强制结束:${reason}` : '处置结束,可选事项撤销', !force);
    // A forced close cancels the office's reviews too: no hand-off request is waiting any more.
    this.handOffs.clear();
    this.status = 'closed';
    this.closedReason = reason;
    this.book.openClosing(this.tierPolicy(), Date.now(), this.owedClosing);
    this.syncDeadlines();
    await this.recorder.record('处置结束', [this.recorder.event('closed', { reason, forced: force ?? false, actor })]);
    return this.state();
  }

  // ---- rules and helpers ------------------------------------------------------------

  /** The tier the flags set as a minimum (plan §4), and the flags that set it. */
  private floor(): { tier: Tier; flags: Flag[] } {
    const flags = [...this.input.flags];
    const tier = maxTier('general', ...flags.map((f) => FLAG_FLOORS[f]));
    return { tier, flags: flags.filter((f) => FLAG_FLOORS[f] === tier) };
  }

  /** The tier's path for this incident: its policy without the steps whose condition does not hold. */
  private tierPolicy(t: Tier = this.tier): TierPolicy {
    const p = this.policy.document.tiers[t];
    return { ...p, tasks: p.tasks.filter((d) => d.onlyWhen !== 'tier_suggested_only' || this.suggestedOnly) };
  }

  private office(): string | undefined {
    return this.routing.roleUnits.opinion_office;
  }

  /** Deadlines follow the tasks, and the Web UI follows both. */
  private syncDeadlines(): void {
    this.deadlines.sync(this.status !== 'archived');
    this.showState();
  }

  private showState(): void {
    this.visibility.sync({ tier: this.tier, status: this.status, policyVersion: this.policy.version }, this.book);
  }

  /** Units that handle the incident on a tier's path, keeping any reassignment made. */
  private assignmentsFor(t: Tier): Assignment[] {
    const r = this.routing;
    const roles: Assignment['role'][] =
      this.tierPolicy(t).assign === 'department_and_district'
        ? ['responsible_department', 'district_bureau']
        : [r.districtBureau ? 'district_bureau' : 'responsible_department'];
    return roles
      .map((role) => this.assignments.find((a) => a.role === role) ?? (role === 'district_bureau' ? r.districtBureau : r.department))
      .filter((a): a is Assignment => a !== undefined);
  }

  private dispatched(reason: EventDataMap['dispatched']['reason'], newly: Assignment[], actor: Actor = SYSTEM): IncidentEvent {
    return this.recorder.event('dispatched', {
      reason,
      assignments: newly,
      notify: this.tierPolicy().notify,
      title: this.input.title,
      link: this.input.source.url,
      actor,
    });
  }

  /** Puts the incident on another tier's path: new units and clocks when raising, the higher tier's left when lowering. */
  private async changeTier(to: Tier, reason: string, actor: Actor): Promise<void> {
    const from = this.tier;
    const raising = isRaise(from, to);
    // Someone has now decided the tier: it no longer rests on the reporter's word.
    this.suggestedOnly = false;
    const before = new Set(this.assignments.map((a) => a.unitId));
    this.tier = to;
    this.tierSince = Date.now();
    this.assignments = this.assignmentsFor(to);
    this.book.applyTier(this.tierPolicy(), this.assignments, this.tierSince, raising, `等级调整为${TIER_LABELS[to]}:${reason}`, this.versions.planClocks);
    // A major or critical incident lowered still owes its review (plan §7(四)): the highest tier's review stays due at closing.
    const review = this.tierPolicy(from).tasks.find((t) => t.phase === 'closing');
    const owed = (kind: TaskKind) => this.tierPolicy(to).tasks.some((t) => t.kind === kind) || this.owedClosing.some((t) => t.kind === kind);
    if (this.versions.planClocks && !raising && review && !owed(review.kind)) this.owedClosing.push(review);
    this.syncDeadlines();
    const events = [this.recorder.event('tier_changed', { from, to, reason, actor })];
    // Raising brings new units and leaders in: they get the link at once.
    if (raising)
      events.push(
        this.dispatched(
          'tier_changed',
          this.assignments.filter((a) => !before.has(a.unitId)),
          actor,
        ),
      );
    await this.recorder.record(`调整等级:${TIER_LABELS[from]} → ${TIER_LABELS[to]}`, events);
  }

  /** Only while handling (not yet closed, nor archived or merged); `refused` says what cannot be done. */
  private requireStillHandling(refused: string): void {
    if (this.status !== 'handling') reject(REJECTION.conflict, `舆情状态为「${INCIDENT_STATUS_LABELS[this.status]}」,${refused} (incident is ${this.status})`);
  }

  private requireHandling(): void {
    if (this.status !== 'handling' && this.status !== 'closed')
      reject(REJECTION.conflict, `舆情状态为「${INCIDENT_STATUS_LABELS[this.status]}」 (incident is ${this.status})`);
  }

  private openTask(key: string): Task {
    this.requireHandling();
    const task = this.book.get(key);
    if (!task) reject(REJECTION.notFound, `本舆情没有事项 ${key} (no task ${key} on this incident)`);
    if (task.status === 'done') reject(REJECTION.conflict, `事项已完成:${TASK_LABELS[task.kind]} (task ${key} already done)`);
    if (task.status === 'cancelled') reject(REJECTION.conflict, `事项已撤销:${TASK_LABELS[task.kind]} (task ${key} cancelled: ${task.cancelReason ?? ''})`);
    if (task.status === 'waiting') {
      const waitingFor = task.def.after.map((k) => TASK_LABELS[k]).join('、');
      reject(REJECTION.conflict, `事项尚未启动,需先完成:${waitingFor} (task ${key} waits for ${task.def.after.join(', ')})`);
    }
    const missing = this.book.missingRequirements(task);
    if (missing.length > 0)
      reject(REJECTION.conflict, `需先完成:${missing.map((t) => TASK_LABELS[t.kind]).join('、')} (requires ${missing.map((t) => t.key).join(', ')})`);
    return task;
  }

  /** Who does an added step: the department handling the incident for an inspection, else the unit holding the role. */
  private unitForAdded(kind: keyof typeof ADDABLE_TASK_OWNERS): string | undefined {
    const owner = ADDABLE_TASK_OWNERS[kind];
    return owner === 'responsible_department'
      ? (this.assignments.find((a) => a.role === 'responsible_department')?.unitId ?? this.routing.roleUnits[owner])
      : this.routing.roleUnits[owner];
  }

  /** The unit's role on this incident (a department or a district bureau). */
  private roleOf(unitId: string): Assignment['role'] {
    return this.assignments.find((a) => a.unitId === unitId)?.role ?? 'district_bureau';
  }

  /** The unit's open step waiting for the local government to name a lead department, if any. */
  private leadDepartmentStep(unitId: string): Task | undefined {
    return this.book.list().find((t) => t.kind === 'lead_department' && t.unitId === unitId && t.status === 'open');
  }

  /** Records a new version of written work; answers its number. */
  private write(kind: TaskKind, content: Writing['content'], actor: Actor, now: number): number {
    const version = this.writings.filter((w) => w.taskKind === kind).length + 1;
    this.writings.push({ taskKind: kind, version, content: { ...content }, actor, at: new Date(now).toISOString() });
    return version;
  }

  /** The current version of the written work an approval task approves (the wording, the response plan), if any. */
  private approvedWriting(approvalTask: Task): Writing | undefined {
    const kind = approvalTask.def.after.find((k) => WRITTEN_TASK_KINDS.includes(k));
    return kind ? this.writings.filter((w) => w.taskKind === kind).at(-1) : undefined;
  }

  private unitTask(kind: TaskKind, unitId: string): Task {
    if (!this.assignments.some((a) => a.unitId === unitId) && !this.book.get(taskKey(kind, unitId))) {
      reject(REJECTION.notFound, `单位 ${unitId} 未承办本舆情 (unit ${unitId} is not assigned to this incident)`);
    }
    return this.openTask(taskKey(kind, unitId));
  }

  /** The release tasks a release of this form completes, in order of urgency. */
  private releaseTargets(form: ReleaseForm): Task[] {
    const kinds: TaskKind[] =
      form === 'press_conference'
        ? ['press_conference', 'authoritative_release', 'follow_up_release', 'public_response']
        : ['authoritative_release', 'follow_up_release', 'public_response'];
    return kinds.map((k) => this.book.get(taskKey(k))).filter((t): t is Task => t?.status === 'open');
  }
}

/**
 * An activity's refusal (a non-retryable failure typed as a rejection) becomes the
 * Update's refusal with its message; any other failure after its attempts a
 * conflict the office may retry, without the database's words.
 */
async function failAsRejection<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const rejection = Object.values(REJECTION).find((r) => r === cause?.type);
    throw ApplicationFailure.create({
      message: rejection && cause ? cause.message : '记录未能更新,请稍后重试 (the records could not be updated; retry later)',
      type: rejection ?? REJECTION.conflict,
      nonRetryable: true,
    });
  }
}

/** A person waits for a merge or split: a few attempts, then a refusal they may retry, never a workflow held up. */
const CORRECTION = { ...LOCAL, retry: { ...LOCAL.retry, maximumAttempts: 5 } } as const;
