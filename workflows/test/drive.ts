import { RELEASE_TASK_KINDS, type Actor, type TaskSnapshot } from '@yuqing/shared';
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
    let state: IncidentState | undefined;
    for (const role of task.approvalsNeeded.filter((r) => !task.approvals.some((a) => a.role === r))) {
      state = await h.update(id, approveUpdate, { actor: approverOf(role), taskKey: task.key, role });
    }
    return state!;
  }
  if (RELEASE_TASK_KINDS.includes(task.kind)) {
    return h.update(id, recordReleaseUpdate, {
      actor: OFFICE,
      form: task.kind === 'press_conference' ? 'press_conference' : 'press_release',
      summary: '经核查,涉事单位部分食材过期,已责令整改并立案调查。',
    });
  }
  return h.update(id, completeTaskUpdate, {
    actor: ownerOf(task),
    taskKey: task.key,
    note: `已完成:${task.kind}`,
    ...(task.kind === 'digest' ? { proposal: '建议由南岗区局现场核查' } : {}),
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
    const next = state.tasks.find((t) => t.status === 'open' && t.mandatory);
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
