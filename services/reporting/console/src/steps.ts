// Which of dispatch's steps a person is offered on a task or an incident. The
// workflow decides in the end (whose step it is, who already approved); this only
// keeps forms off screens where they could not succeed, and fills what the
// context already says (the unit, 代办 for the office).
import type { Me } from './session';
import type { StepDefinition } from './schemas';

export interface TaskLike {
  readonly key: string;
  readonly kind: string;
  readonly owner: string;
  readonly unitId: string | null;
  readonly status: string;
  readonly approvalsNeeded: readonly string[];
  readonly approvals: readonly { readonly role: string }[];
  /** What the step records (the task view's `contentFields`). */
  readonly contentFields?: readonly string[];
}

/** What the incident page knows besides the task: the written work's versions, the approvals still open. */
export interface StepContext {
  /** The newest version of each kind of written work (talking_points_wording, response_plan). */
  readonly latestVersion: Readonly<Record<string, number>>;
  /** Roles whose approval some open task still waits for. */
  readonly openApprovalRoles: ReadonlySet<string>;
  /** The release channels a release may name now (两微一端), for the office's release form. */
  readonly releaseChannels?: readonly { readonly id: string; readonly name: string }[];
  /** The directory's outside bodies (units of kind `outside`), which a report upward names (报送). */
  readonly outsideBodies?: readonly { readonly id: string; readonly name: string }[];
}

const NO_CONTEXT: StepContext = { latestVersion: {}, openApprovalRoles: new Set() };
/** Steps that report to outside bodies, naming them in `sendTo` (OUTSIDE_REPORT_TASK_KINDS). */
const REPORTS_OUTSIDE = new Set(['talking_points_reported', 'report_upward']);
/** Written work that is approved, then returned if need be (WRITTEN_TASK_KINDS). */
const WRITTEN = new Set(['talking_points_wording', 'response_plan']);

/** A form to show: the step, the values the context fixes, the fields hidden, the choices narrowed. */
export interface OfferedStep {
  readonly def: StepDefinition;
  readonly taskKey?: string;
  readonly fixed: Readonly<Record<string, unknown>>;
  readonly hidden: readonly string[];
  readonly choices: Readonly<Record<string, readonly string[]>>;
  readonly initial?: Readonly<Record<string, unknown>>;
  readonly recordKeys?: Readonly<Record<string, readonly string[]>>;
  /** Choices from a register: the release channel (one), the outside bodies a report goes to (`sendTo`, any). */
  readonly options?: Readonly<Record<string, readonly { readonly value: string; readonly label: string }[]>>;
  /** The office acting for another unit (代办): the form asks for the reason. */
  readonly proxy: boolean;
}

/** Steps taken per assigned unit. */
const UNIT_STEPS: Readonly<Record<string, string>> = { acknowledge: 'acknowledge', investigation_report: 'report' };
/** Tasks completed by recording a release. */
const RELEASE_TASKS = new Set(['authoritative_release', 'follow_up_release', 'public_response', 'press_conference']);
/** Steps the task list offers by their own buttons; any other task step dispatch adds is offered too. */
const KNOWN_TASK_STEPS = new Set(['complete', 'approve']);
/** Incident steps that belong to a task (above) rather than to the incident page's decisions. */
const TASK_BOUND_STEPS = new Set(['acknowledge', 'report', 'release']);

const has = (body: StepDefinition['body'], field: string) => body.properties?.[field] !== undefined;

function step(def: StepDefinition | undefined, extra: Partial<OfferedStep> = {}): OfferedStep[] {
  if (!def) return [];
  return [{ def, fixed: {}, hidden: [], choices: {}, proxy: false, ...extra }];
}

/** The steps `me` is offered on a task: its own while open; returning done work to its author. */
export function stepsForTask(task: TaskLike, me: Me, defs: readonly StepDefinition[], context: StepContext = NO_CONTEXT): OfferedStep[] {
  if (!me.scopes.includes('tasks:act') || !me.unitId) return [];
  const incidentStep = (name: string) => defs.find((d) => d.scope === 'incident' && d.name === name);
  const taskStep = (name: string) => defs.find((d) => d.scope === 'task' && d.name === name);
  if (task.status === 'done') {
    // 退回: the office a unit's report; an approver the wording or plan still awaiting approval.
    const mayReturn =
      (task.kind === 'investigation_report' && me.office) ||
      (WRITTEN.has(task.kind) && me.kind === 'person' && me.roles.some((r) => context.openApprovalRoles.has(r)));
    return mayReturn ? step(taskStep('return'), { taskKey: task.key }) : [];
  }
  if (task.status !== 'open') return [];
  // A hand-off request is decided on the incident page (改派 or 不同意移交), not by closing its task.
  if (task.kind === 'hand_off_review') return [];
  const extras = defs.filter((d) => d.scope === 'task' && !KNOWN_TASK_STEPS.has(d.name) && d.name !== 'return');
  // What completing records: the content fields, and for 报送 the bodies it goes to (no other step names any).
  const sendTo = REPORTS_OUTSIDE.has(task.kind)
    ? { options: { sendTo: (context.outsideBodies ?? []).map((b) => ({ value: b.id, label: b.name })) } }
    : { hidden: ['sendTo'] };
  const content = {
    recordKeys: { content: task.contentFields ?? [] },
    ...(sendTo.options ? { options: sendTo.options } : {}),
    hidden: [...(task.contentFields?.length ? [] : ['content']), ...(sendTo.hidden ?? [])],
  };
  const talkingPoints = context.latestVersion.talking_points_wording;

  const unitStep = UNIT_STEPS[task.kind];
  if (unitStep && task.unitId) {
    const def = incidentStep(unitStep);
    if (task.unitId === me.unitId) return step(def, { hidden: ['unitId', 'proxy'] });
    // The office may take it for the unit, as 代办 with a reason.
    if (me.office && def && has(def.body, 'proxy')) return step(def, { fixed: { unitId: task.unitId }, hidden: ['unitId'], proxy: true });
    return [];
  }
  if (RELEASE_TASKS.has(task.kind)) {
    const channels = context.releaseChannels ?? [];
    const register = channels.length ? { options: { channel: channels.map((c) => ({ value: c.id, label: c.name })) } } : {};
    return me.office ? step(incidentStep('release'), { ...register, ...(talkingPoints ? { initial: { talkingPointsVersion: talkingPoints } } : {}) }) : [];
  }
  if (task.approvalsNeeded.length > 0) {
    const given = new Set(task.approvals.map((a) => a.role));
    const mine = task.approvalsNeeded.filter((r) => !given.has(r) && me.roles.includes(r));
    // The version read: the newest of the written work this approval is for (talking points, else the response plan).
    const version = task.kind.startsWith('talking_points') ? talkingPoints : context.latestVersion.response_plan;
    const approve =
      mine.length && me.kind === 'person'
        ? step(taskStep('approve'), { taskKey: task.key, choices: { role: mine }, ...(version ? { initial: { version } } : {}) })
        : [];
    return [...approve, ...extras.flatMap((d) => step(d, { taskKey: task.key }))];
  }
  const mine = me.roles.includes(task.owner) || (task.unitId !== null && task.unitId === me.unitId);
  if (mine)
    return [
      ...step(taskStep('complete'), { taskKey: task.key, ...content, hidden: ['proxy', ...content.hidden] }),
      ...extras.flatMap((d) => step(d, { taskKey: task.key })),
    ];
  if (me.office) return step(taskStep('complete'), { taskKey: task.key, proxy: true, ...content });
  return [];
}

/** The incident's decisions: tier, hand-off, closing, and any step dispatch adds later. */
export function stepsForIncident(me: Me, defs: readonly StepDefinition[], status: string): OfferedStep[] {
  if (!me.scopes.includes('tasks:act') || !me.unitId || status === 'archived') return [];
  const out: OfferedStep[] = [];
  for (const def of defs.filter((d) => d.scope === 'incident' && !TASK_BOUND_STEPS.has(d.name))) {
    if (def.name === 'reassign' || def.name === 'refuse-hand-off') {
      // 杜绝推诿 (plan §8(五)3): the office decides where a part goes; a unit asks (hand-off).
      if (me.office && status === 'handling') out.push(...step(def));
    } else if (def.name === 'hand-off') {
      if (!me.office && !me.coordinator && status === 'handling') out.push(...step(def));
    } else if (def.name === 'renew-talking-points') {
      // After tracking, the leadership group decides on follow-up talking points (plan §7(三)).
      if (me.coordinator && !me.office && status === 'handling') out.push(...step(def));
    } else if (def.name === 'merge' || def.name === 'split') {
      // IncidentCorrection.vue: they need an incident and reports to pick from, not free text.
      continue;
    } else if (def.name === 'reclassify' || def.name === 'close') {
      if (me.coordinator && status !== 'closed') out.push(...step(def));
    } else out.push(...step(def));
  }
  return out;
}
