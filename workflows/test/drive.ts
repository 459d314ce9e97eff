import {
  CONTENT_FIELD_LABELS,
  OUTSIDE_REPORT_TASK_KINDS,
  RELEASE_TASK_KINDS,
  TASK_CONTENT,
  WRITTEN_TASK_KINDS,
  type Actor,
  type TaskContent,
  type TaskSnapshot,
} from '@yuqing/shared';
import {
  acknowledgeUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  recordReleaseUpdate,
  submitReportUpdate,
  type IncidentState,
} from '../src/messages';
import { OFFICE, personOf, type IncidentHarness } from './harness';

/** The person who takes a task as its owner would: of the task's unit, holding its owner role. */
const ownerOf = (task: TaskSnapshot): Actor => personOf(task.unitId ?? 'opinion-office', [task.owner]);
/** Each approval by a different person holding the role (two approvals are two people). */
const approverOf = (role: TaskSnapshot['owner']): Actor => personOf('leadership-group', [role], `approver-${role}`);

/** What the owner writes for a step: every field the step requires, in Chinese. */
export const contentFor = (task: TaskSnapshot): TaskContent =>
  Object.fromEntries((TASK_CONTENT[task.kind] ?? []).map((f) => [f, `${CONTENT_FIELD_LABELS[f]}:${task.kind} 第${task.round}稿`]));

/** The current version of the written work an approval approves (the last writing of the kind it follows). */
function currentVersion(state: IncidentState, task: TaskSnapshot): number | undefined {
  const written = task.kind === 'talking_points_approval' ? 'talking_points_wording' : task.kind === 'response_plan_approval' ? 'response_plan' : undefined;
  if (!written || !WRITTEN_TASK_KINDS.includes(written)) return undefined;
  return (state.writings ?? []).filter((w) => w.taskKind === written).at(-1)?.version;
}

/** Does one open task the way its owner would, through the workflow's Updates. */
export async function doTask(h: IncidentHarness, id: string, task: TaskSnapshot): Promise<IncidentState> {
  if (task.kind === 'acknowledge') return h.update(id, acknowledgeUpdate, { actor: ownerOf(task), unitId: task.unitId! });
  if (task.kind === 'investigation_report') {
    return h.update(id, submitReportUpdate, {
      actor: ownerOf(task),
      unitId: task.unitId!,
      report: {
        kind: 'final',
        findings: {
          truth: 'partly',
          whatHappened: '现场检查发现部分食材超过保质期',
          dutyFailure: { found: false },
          violation: { found: true, detail: '经营超过保质期食品' },
        },
        dispositions: ['immediate_measures', 'case_filing'],
        measures: '责令下架并立案调查',
        result: '涉事食材已全部封存',
        attachments: [],
      },
    });
  }
  if (task.approvalsNeeded.length > 0) {
    let state = await h.state(id);
    const version = currentVersion(state, task);
    for (const role of task.approvalsNeeded.filter((r) => !task.approvals.some((a) => a.role === r))) {
      state = await h.update(id, approveUpdate, { actor: approverOf(role), taskKey: task.key, role, ...(version ? { version } : {}) });
    }
    return state;
  }
  if (RELEASE_TASK_KINDS.includes(task.kind)) {
    const state = await h.state(id);
    const approval = state.tasks.find((t) => t.kind === 'talking_points_approval');
    const talkingPointsVersion = approval?.status === 'done' ? currentVersion(state, approval) : undefined;
    return h.update(id, recordReleaseUpdate, {
      actor: OFFICE,
      form: task.kind === 'press_conference' ? 'press_conference' : 'press_release',
      summary: '经核查,涉事单位部分食材过期,已责令整改并立案调查。',
      channel: task.kind === 'press_conference' ? 'press_room' : 'website',
      ...(talkingPointsVersion ? { talkingPointsVersion } : {}),
    });
  }
  return h.update(id, completeTaskUpdate, {
    actor: ownerOf(task),
    taskKey: task.key,
    note: `已完成:${task.kind}`,
    content: contentFor(task),
    ...(task.kind === 'digest' ? { proposal: '建议由南岗区局现场核查' } : {}),
    ...(OUTSIDE_REPORT_TASK_KINDS.includes(task.kind) ? { sendTo: ['ext-propaganda', 'ext-cyberspace-office', 'ext-provincial-bureau'] } : {}),
  });
}

/**
 * Plays every mandatory task of the incident until it can close, closes it,
 * does the closing-phase review if the tier needs one, and returns the final state.
 */
export async function driveToArchive(h: IncidentHarness, id: string): Promise<IncidentState> {
  // Bounded by time, not rounds: on a loaded machine a waiting task may take a few polls to open.
  for (const until = Date.now() + 60_000; Date.now() < until;) {
    const state = await h.state(id);
    if (state.status === 'archived') return state;
    // Releases after the steps they wait for (the reported talking points, the approved response plan), and
    // tracking after the releases: once tracking is done, speaking again needs follow-up talking points (§7(三)).
    const open = state.tasks.filter((t) => t.status === 'open' && t.mandatory);
    const next =
      open.find((t) => !RELEASE_TASK_KINDS.includes(t.kind) && t.kind !== 'tracking') ?? open.find((t) => RELEASE_TASK_KINDS.includes(t.kind)) ?? open[0];
    if (next) {
      await doTask(h, id, next);
      continue;
    }
    if (state.status === 'handling') {
      if (state.tasks.some((t) => t.status === 'waiting' && t.mandatory)) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      await h.update(id, closeUpdate, { actor: OFFICE, reason: '处置完毕,舆情平息' });
      continue;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`incident ${id} did not reach the archive`);
}
