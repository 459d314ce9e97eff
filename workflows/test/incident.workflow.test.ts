/**
 * The escalation engine on the real Temporal dev server: each tier's path to the
 * archive, deadlines and their chains, reclassification, a worker restart and
 * policy versions. Clocks are second-scale policies; nothing waits hours.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { sql } from 'kysely';
import { DEFAULT_POLICY, INCIDENT_WORKFLOW_TYPE, type Assignment, type PolicyDocumentInput, type Tier } from '@yuqing/shared';
import { Worker } from '@temporalio/worker';
import type { StartWorkflowCommand } from '@yuqing/intake';
import { acceptTestIncident, eventually, publishCityPolicy, sampleIncident, sleep, workflowBundle } from '@yuqing/testkit';
import {
  acknowledgeUpdate,
  addTaskUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  reassignUpdate,
  reclassifyUpdate,
  recordReleaseUpdate,
  refuseHandOffUpdate,
  renewTalkingPointsUpdate,
  requestHandOffUpdate,
  returnTaskUpdate,
  submitReportUpdate,
  type IncidentState,
} from '../src/messages';
import { contentFor, doTask, driveToArchive } from './drive';
import { IncidentHarness, incidentOfTier, LEADERS, OFFICE, personOf } from './harness';

const HISTORIES = path.join(__dirname, 'histories');
const H = 3_600_000;

/** The default policy with the general tier's acknowledgement on a second-scale clock and chain. */
function policyWithAckChain(deadline: string, chain: { after: string; action: 'remind' | 'escalate'; notify: string[] }[]): PolicyDocumentInput {
  const doc = structuredClone(DEFAULT_POLICY);
  const ack = doc.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!;
  ack.deadline = deadline;
  ack.chain = chain as typeof ack.chain;
  return doc;
}

async function rejection(p: Promise<unknown>): Promise<{ type: string | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return { type: (cause as ApplicationFailure).type ?? undefined, message: (cause as ApplicationFailure).message };
  }
  throw new Error('the update was accepted');
}

describe('each tier’s path, to the archive (default policy)', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it.each<[Tier, string[]]>([
    ['general', []],
    ['sensitive', ['digest_ready', 'approval_recorded', 'released']],
    ['major', ['digest_ready', 'approval_recorded', 'released', 'task_completed']],
    ['critical', ['digest_ready', 'approval_recorded', 'released', 'task_completed']],
  ])('%s', async (tier, expectedTypes) => {
    const { id, handle } = await h.report(incidentOfTier(tier));
    const final = await driveToArchive(h, id);
    expect(final.status).toBe('archived');
    expect(final.tier).toBe(tier);
    expect(final.policyVersion).toBe('city@1');
    const result = (await handle.result()) as IncidentState;
    expect(result.status).toBe('archived');

    const events = await h.events(id);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['received', 'assessed', 'dispatched']);
    expect(types.at(-1)).toBe('archived');
    // Closing first; the post-incident review (major and critical) between closing and the archive.
    const afterClose = types.slice(types.indexOf('closed') + 1, -1);
    expect(afterClose).toEqual(tier === 'major' || tier === 'critical' ? ['task_completed'] : []);
    for (const t of expectedTypes) expect(types).toContain(t);
    expect(types).not.toContain('deadline_lapsed');
    // Every event is recorded once and numbered in the order the workflow made it.
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const dispatched = events[2]!;
    const units = dispatched.type === 'dispatched' ? dispatched.data.assignments.map((a) => a.unitId) : [];
    expect(units).toEqual(tier === 'general' ? ['district-230103'] : ['dept-food-safety', 'district-230103']);

    const review = final.tasks.find((t) => t.kind === 'review');
    if (tier === 'major' || tier === 'critical') expect(review?.status).toBe('done');
    else expect(review).toBeUndefined();
    if (tier === 'critical') {
      expect(final.tasks.find((t) => t.kind === 'authoritative_release')!.status).toBe('done');
      expect(final.tasks.find((t) => t.kind === 'press_conference')!.status).toBe('done');
      const released = events.find((e) => e.type === 'released');
      expect(released?.type === 'released' && released.data.approvals.map((a) => a.role).sort()).toEqual(['leader', 'leader_in_charge']);
    }

    // The incident row follows the workflow.
    const row = await h.t.db.selectFrom('incidents').select(['status', 'tier', 'archivedAt', 'policyVersion']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'archived', tier, policyVersion: 'city@1' });

    // Each state change has its actor in the audit log.
    const audit = await h.t.db.selectFrom('auditLog').select(['action', 'actorId']).where('incidentId', '=', id).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['incident.received', 'incident.acknowledged', 'incident.closed', 'incident.archived']));
    expect(audit.find((a) => a.action === 'incident.closed')!.actorId).toBe(OFFICE.id);

    // RECORD_HISTORIES=<generation folder> records this run for the replay test (replay.test.ts).
    const generation = process.env.RECORD_HISTORIES;
    if (generation) {
      mkdirSync(path.join(HISTORIES, generation), { recursive: true });
      writeFileSync(path.join(HISTORIES, generation, `${tier}.json`), historyToJSON(await handle.fetchHistory()));
    }
  });
});

describe('human steps are checked by the plan’s rules', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it('answers each refused step with a precise verdict and changes nothing', async () => {
    const { id } = await h.report(incidentOfTier('sensitive'));
    const before = await h.events(id);

    const release = await rejection(h.update(id, recordReleaseUpdate, { actor: OFFICE, form: 'press_release', summary: '通报', channel: 'website' }));
    expect(release).toEqual({ type: 'conflict', message: expect.stringContaining('talking points not yet approved') });

    const unknownUnit = await rejection(h.update(id, acknowledgeUpdate, { actor: OFFICE, unitId: 'district-230184' }));
    expect(unknownUnit.type).toBe('not_found');

    const close = await rejection(h.update(id, closeUpdate, { actor: OFFICE, reason: '结束' }));
    expect(close.type).toBe('conflict');
    expect(close.message).toContain('签收预警');

    const sameTier = await rejection(h.update(id, reclassifyUpdate, { actor: LEADERS, tier: 'sensitive', reason: '复核' }));
    expect(sameTier.type).toBe('conflict');

    const nangang = personOf('district-230103', ['district_bureau']);
    // Text the database cannot store is refused by the validator, not accepted and retried for ever.
    const nul = await rejection(h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'digest', note: '摘报\u0000正文' }));
    expect(nul).toEqual({ type: 'invalid', message: expect.stringContaining('note') });
    // Another unit's step: refused; the office only as 代办 with a reason; never a decision or an approval.
    const foreign = await rejection(
      h.update(id, acknowledgeUpdate, { actor: personOf('dept-food-safety', ['responsible_department']), unitId: 'district-230103' }),
    );
    expect(foreign.type).toBe('forbidden');
    const officeWithout = await rejection(h.update(id, acknowledgeUpdate, { actor: OFFICE, unitId: 'district-230103' }));
    expect(officeWithout.type).toBe('forbidden');
    const district = await rejection(h.update(id, completeTaskUpdate, { actor: nangang, taskKey: 'digest', note: '摘报' }));
    expect(district.type).toBe('forbidden');
    const system = await rejection(h.update(id, acknowledgeUpdate, { actor: { id: 'city-admin', kind: 'client' }, unitId: 'district-230103' }));
    expect(system.type).toBe('forbidden');

    await h.update(id, acknowledgeUpdate, { actor: nangang, unitId: 'district-230103' });
    const twice = await rejection(h.update(id, acknowledgeUpdate, { actor: nangang, unitId: 'district-230103' }));
    expect(twice).toEqual({ type: 'conflict', message: expect.stringContaining('already done') });

    const after = await h.events(id);
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)!.type).toBe('acknowledged');
  });

  it('approvals: a person holding the role, one approval per person, never by whoever wrote what is approved', async () => {
    const { id } = await h.report(incidentOfTier('sensitive'));
    const director = personOf('opinion-office', ['opinion_office', 'office_director'], 'director');
    await h.update(id, completeTaskUpdate, { actor: director, taskKey: 'digest', note: '摘报正文' });
    const own = await rejection(h.update(id, approveUpdate, { actor: director, taskKey: 'digest_signoff', role: 'office_director' }));
    expect(own).toEqual({ type: 'forbidden', message: expect.stringContaining('digest') });
    const system = await rejection(
      h.update(id, approveUpdate, {
        actor: { id: 'city-admin', kind: 'client', roles: ['office_director'] },
        taskKey: 'digest_signoff',
        role: 'office_director',
      }),
    );
    expect(system.type).toBe('forbidden');
    await h.update(id, approveUpdate, {
      actor: personOf('opinion-office', ['office_director'], 'director-2'),
      taskKey: 'digest_signoff',
      role: 'office_director',
    });

    await h.update(id, completeTaskUpdate, {
      actor: personOf('dept-food-safety', ['responsible_department']),
      taskKey: 'talking_points_draft',
      content: { facts: '事实' },
    });
    // Someone of the office who also holds a leader's role words the talking points: they may not approve them.
    const wordsmith = personOf('opinion-office', ['opinion_office', 'leader_in_charge'], 'wordsmith');
    await h.update(id, completeTaskUpdate, { actor: wordsmith, taskKey: 'talking_points_wording', content: { text: '口径' } });
    const ownWording = await rejection(
      h.update(id, approveUpdate, { actor: wordsmith, taskKey: 'talking_points_approval', role: 'leader_in_charge', version: 1 }),
    );
    expect(ownWording).toEqual({ type: 'forbidden', message: expect.stringContaining('talking_points_wording') });
    const both = personOf('leadership-group', ['leader_in_charge', 'leader'], 'both-leaders');
    await h.update(id, approveUpdate, { actor: both, taskKey: 'talking_points_approval', role: 'leader_in_charge', version: 1 });
    // Another key of the same person is the same person.
    const sameOtherKey = await rejection(
      h.update(id, approveUpdate, { actor: { ...both, id: 'key-both-leaders-phone' }, taskKey: 'talking_points_approval', role: 'leader', version: 1 }),
    );
    expect(sameOtherKey.type).toBe('conflict');
    const state = await h.update(id, approveUpdate, {
      actor: personOf('leadership-group', ['leader'], 'leader'),
      taskKey: 'talking_points_approval',
      role: 'leader',
      version: 1,
    });
    expect(state.tasks.find((t) => t.key === 'talking_points_approval')!.status).toBe('done');
  });

  it('a forced close cancels what is open, with the reason', async () => {
    const { id } = await h.report(incidentOfTier('general'));
    const state = await h.update(id, closeUpdate, { actor: LEADERS, reason: '经核实为重复上报', force: true });
    expect(state.status).toBe('archived');
    expect(state.tasks.filter((t) => t.mandatory).every((t) => t.status === 'cancelled' && t.cancelReason?.includes('重复上报'))).toBe(true);
  });
});

describe('the plan’s guard-rails (§6, §7): content, versions, returns, what a release waits for', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  const department = personOf('dept-food-safety', ['responsible_department']);
  const office = personOf('opinion-office', ['opinion_office'], 'office-writer');
  const leaderInCharge = personOf('leadership-group', ['leader_in_charge'], 'fen-guan');
  const leader = personOf('leadership-group', ['leader'], 'zhu-yao');
  const deputy = personOf('leadership-group', ['deputy_leader'], 'fu-zu-zhang');
  const task = (s: IncidentState, key: string) => s.tasks.find((t) => t.key === key)!;

  it('a major release waits for the talking points reported and the leader’s approval of the deputy leader’s response plan, and uses the approved version', async () => {
    const { id } = await h.report(incidentOfTier('major'));
    const empty = await rejection(h.update(id, completeTaskUpdate, { actor: department, taskKey: 'talking_points_draft', content: { facts: '  ' } }));
    expect(empty).toEqual({ type: 'invalid', message: expect.stringContaining('content.facts') });
    expect(empty.message).toContain('核实的事实情况');
    await h.update(id, completeTaskUpdate, { actor: department, taskKey: 'talking_points_draft', content: { facts: '经查,涉事食堂有两批次冻肉超过保质期' } });
    await h.update(id, completeTaskUpdate, { actor: office, taskKey: 'talking_points_wording', content: { text: '口径第一稿' } });

    // An approval names the version its approver read.
    const noVersion = await rejection(h.update(id, approveUpdate, { actor: leaderInCharge, taskKey: 'talking_points_approval', role: 'leader_in_charge' }));
    expect(noVersion).toEqual({ type: 'invalid', message: expect.stringContaining('version') });
    await h.update(id, approveUpdate, { actor: leaderInCharge, taskKey: 'talking_points_approval', role: 'leader_in_charge', version: 1 });
    // The leader returns the wording: it re-opens with a clock, the approval waits again and loses the first approval.
    const notApprover = await rejection(h.update(id, returnTaskUpdate, { actor: office, taskKey: 'talking_points_wording', reason: '重写' }));
    expect(notApprover.type).toBe('forbidden');
    const returned = await h.update(id, returnTaskUpdate, { actor: leader, taskKey: 'talking_points_wording', reason: '表述不够准确,补充处置进展' });
    expect(task(returned, 'talking_points_wording')).toMatchObject({ status: 'open', round: 2, dueAt: expect.any(String) });
    expect(task(returned, 'talking_points_approval')).toMatchObject({ status: 'waiting', approvals: [] });
    await h.update(id, completeTaskUpdate, { actor: office, taskKey: 'talking_points_wording', content: { text: '口径第二稿' } });
    const stale = await rejection(
      h.update(id, approveUpdate, { actor: leaderInCharge, taskKey: 'talking_points_approval', role: 'leader_in_charge', version: 1 }),
    );
    expect(stale).toEqual({ type: 'conflict', message: expect.stringContaining('第2稿') });
    await h.update(id, approveUpdate, { actor: leaderInCharge, taskKey: 'talking_points_approval', role: 'leader_in_charge', version: 2 });
    await h.update(id, approveUpdate, { actor: leader, taskKey: 'talking_points_approval', role: 'leader', version: 2 });

    const release = { actor: office, form: 'press_release' as const, summary: '权威发布', channel: 'website', talkingPointsVersion: 2 };
    const early = await rejection(h.update(id, recordReleaseUpdate, release));
    expect(early.type).toBe('conflict');
    expect(early.message).toContain('口径报市委宣传');
    expect(early.message).toContain('舆情回应方案审定');
    expect(early.message).toContain('发布前保密审查');
    const director = personOf('opinion-office', ['office_director'], 'director');
    await h.update(id, completeTaskUpdate, {
      actor: director,
      taskKey: 'secrecy_review',
      content: { decision: '经审查,拟发布内容不涉及国家秘密和工作秘密,口径已审定' },
    });

    // 报送 names the bodies by unit (dispatch sends to them); without any, or on a step that reports to no one, it is refused.
    const unnamed = await rejection(h.update(id, completeTaskUpdate, { actor: office, taskKey: 'talking_points_reported' }));
    expect(unnamed).toEqual({ type: 'invalid', message: expect.stringContaining('sendTo: 须选择报送单位') });
    const sendTo = ['ext-propaganda', 'ext-cyberspace-office', 'ext-provincial-bureau'];
    const elsewhere = await rejection(h.update(id, completeTaskUpdate, { actor: office, taskKey: 'cyberspace_liaison', note: '已对接', sendTo }));
    expect(elsewhere).toEqual({ type: 'invalid', message: expect.stringContaining('sendTo:') });
    await h.update(id, completeTaskUpdate, { actor: office, taskKey: 'talking_points_reported', sendTo });
    const reported = (await h.events(id)).find((e) => e.type === 'task_completed' && e.data.taskKind === 'talking_points_reported');
    expect(reported?.data).toMatchObject({ sendTo });
    // The deputy leader drafts the response plan; the leader (not the deputy, not a system key) approves it.
    const plan = await h.update(id, completeTaskUpdate, {
      actor: deputy,
      taskKey: 'response_plan',
      content: { text: '应对方案:当日发布权威信息,次日召开通气会' },
    });
    expect(plan.writings?.map((w) => [w.taskKind, w.version])).toEqual([
      ['talking_points_wording', 1],
      ['talking_points_wording', 2],
      ['response_plan', 1],
    ]);
    const byDeputy = await rejection(
      h.update(id, approveUpdate, { actor: { ...deputy, roles: ['deputy_leader', 'leader'] }, taskKey: 'response_plan_approval', role: 'leader', version: 1 }),
    );
    expect(byDeputy.type).toBe('forbidden');
    const byKey = await rejection(
      h.update(id, approveUpdate, {
        actor: { id: 'city-admin', kind: 'client', roles: ['leader'] },
        taskKey: 'response_plan_approval',
        role: 'leader',
        version: 1,
      }),
    );
    expect(byKey.type).toBe('forbidden');
    await h.update(id, approveUpdate, { actor: leader, taskKey: 'response_plan_approval', role: 'leader', version: 1 });

    const oldVersion = await rejection(h.update(id, recordReleaseUpdate, { ...release, talkingPointsVersion: 1 }));
    expect(oldVersion).toEqual({ type: 'invalid', message: expect.stringContaining('talkingPointsVersion') });
    const noChannel = await rejection(h.update(id, recordReleaseUpdate, { ...release, channel: '' }));
    expect(noChannel).toEqual({ type: 'invalid', message: expect.stringContaining('channel') });
    const released = await h.update(id, recordReleaseUpdate, release);
    expect(task(released, 'public_response').status).toBe('done');
    const events = await h.events(id);
    expect(events.find((e) => e.type === 'released')!.data).toMatchObject({ channel: 'website', talkingPointsVersion: 2 });
    expect(events.filter((e) => e.type === 'task_returned').map((e) => e.data)).toEqual([
      expect.objectContaining({ taskKey: 'talking_points_wording', reason: '表述不够准确,补充处置进展' }),
    ]);
  });

  it('a true finding needs dispositions and measures; the office returns an inadequate report, which re-opens with its clock; the review names its five parts', async () => {
    const { id } = await h.report(incidentOfTier('general'));
    const state = await h.state(id);
    const unitId = state.assignments[0]!.unitId;
    const reporter = personOf(unitId, [state.assignments[0]!.role]);
    const findings = { truth: 'true' as const, whatHappened: '属实', dutyFailure: { found: false }, violation: { found: true } };
    const bare = await rejection(
      h.update(id, submitReportUpdate, { actor: reporter, unitId, report: { kind: 'final', findings, dispositions: [], attachments: [] } }),
    );
    expect(bare).toEqual({ type: 'invalid', message: expect.stringContaining('dispositions') });
    const noMeasures = await rejection(
      h.update(id, submitReportUpdate, { actor: reporter, unitId, report: { kind: 'final', findings, dispositions: ['case_filing'], attachments: [] } }),
    );
    expect(noMeasures).toEqual({ type: 'invalid', message: expect.stringContaining('measures') });
    await h.update(id, submitReportUpdate, {
      actor: reporter,
      unitId,
      report: { kind: 'final', findings, dispositions: ['case_filing'], measures: '立案调查', attachments: [] },
    });
    const byUnit = await rejection(h.update(id, returnTaskUpdate, { actor: reporter, taskKey: `investigation_report:${unitId}`, reason: '不清楚' }));
    expect(byUnit.type).toBe('forbidden');
    const back = await h.update(id, returnTaskUpdate, { actor: OFFICE, taskKey: `investigation_report:${unitId}`, reason: '调查结论不清,请补充检测结果' });
    expect(task(back, `investigation_report:${unitId}`)).toMatchObject({ status: 'open', round: 2, dueAt: expect.any(String) });

    // The review (§7(四)) of a major incident names cause, nature, impact, responsibility and lessons.
    const major = await h.report(incidentOfTier('major'));
    await h.update(major.id, closeUpdate, { actor: LEADERS, reason: '演练结束', force: true });
    const review = (await h.state(major.id)).tasks.find((t) => t.kind === 'review')!;
    const partial = await rejection(h.update(major.id, completeTaskUpdate, { actor: OFFICE, taskKey: 'review', content: { cause: '食材管理疏漏' } }));
    expect(partial.type).toBe('invalid');
    for (const field of ['content.nature', 'content.impact', 'content.responsibility', 'content.lessons']) expect(partial.message).toContain(field);
    expect(partial.message).toContain('经验教训');
    const done = await doTask(h, major.id, review);
    expect(done.status).toBe('archived');
    const completed = (await h.events(major.id)).find((e) => e.type === 'task_completed' && e.data.taskKind === 'review')!;
    expect(completed.data).toMatchObject({ content: contentFor(review) });
  });
});

describe('no passing the buck (§8(五)3), follow-up talking points (§7(三)), the local government’s lead department (§6(二)4)', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  const nangang = personOf('district-230103', ['district_bureau']);
  const daoli = personOf('district-230102', ['district_bureau']);
  const toDaoli: Assignment = { unitId: 'district-230102', unitName: '道里区市场监督管理局', role: 'district_bureau' };
  const director = personOf('opinion-office', ['office_director'], 'director');
  const task = (s: IncidentState, key: string) => s.tasks.find((t) => t.key === key)!;

  it('a unit asks and the office confirms or refuses; nobody hands it back; the receiver signs for it on the original clock; the district follows', async () => {
    const { id } = await h.report(incidentOfTier('sensitive'));
    const ack = task(await h.state(id), 'acknowledge:district-230103');
    const itself = await rejection(
      h.update(id, reassignUpdate, { actor: nangang, fromUnitId: 'district-230103', to: toDaoli, reason: '不属我区', district: '230102' }),
    );
    expect(itself).toEqual({ type: 'forbidden', message: expect.stringContaining('申请移交') });

    const asked = await h.update(id, requestHandOffUpdate, {
      actor: nangang,
      unitId: 'district-230103',
      toUnitId: 'district-230102',
      reason: '涉事幼儿园位于道里区',
    });
    const review = asked.tasks.find((t) => t.kind === 'hand_off_review')!;
    expect(review).toMatchObject({ status: 'open', owner: 'opinion_office', unitId: 'opinion-office', dueAt: expect.any(String) });
    expect(asked.handOffs).toEqual([expect.objectContaining({ unitId: 'district-230103', toUnitId: 'district-230102', taskKey: review.key })]);
    // Asking buys no time: the unit's clock runs on while the office decides.
    expect(task(asked, 'acknowledge:district-230103')).toMatchObject({ status: 'open', dueAt: ack.dueAt });
    expect((await rejection(h.update(id, requestHandOffUpdate, { actor: nangang, unitId: 'district-230103', reason: '再次申请' }))).type).toBe('conflict');
    expect((await rejection(h.update(id, refuseHandOffUpdate, { actor: nangang, unitId: 'district-230103', reason: '自己驳回' }))).type).toBe('forbidden');

    const refused = await h.update(id, refuseHandOffUpdate, { actor: OFFICE, unitId: 'district-230103', reason: '幼儿园注册地在南岗区,由南岗区局核查' });
    expect(refused.handOffs).toBeUndefined();
    expect(task(refused, review.key).status).toBe('done');
    expect(task(refused, 'acknowledge:district-230103')).toMatchObject({ status: 'open', dueAt: ack.dueAt });

    await h.update(id, requestHandOffUpdate, { actor: nangang, unitId: 'district-230103', reason: '经现场核实,门店实际位于道里区' });
    const moved = await h.update(id, reassignUpdate, {
      actor: OFFICE,
      fromUnitId: 'district-230103',
      to: toDaoli,
      reason: '经核实,由道里区局承办',
      district: '230102',
    });
    expect(moved.district).toBe('230102');
    expect(moved.handOffs).toBeUndefined();
    expect(moved.tasks.filter((t) => t.kind === 'hand_off_review').map((t) => t.status)).toEqual(['done', 'done']);
    expect(task(moved, 'acknowledge:district-230103').status).toBe('cancelled');
    expect(task(moved, 'acknowledge:district-230102')).toMatchObject({ status: 'open', openedAt: ack.openedAt, dueAt: ack.dueAt });

    const back = await rejection(
      h.update(id, requestHandOffUpdate, { actor: daoli, unitId: 'district-230102', toUnitId: 'district-230103', reason: '仍属南岗区' }),
    );
    expect(back).toEqual({ type: 'conflict', message: expect.stringContaining('不得移交回') });

    const row = await h.t.db.selectFrom('incidents').select('districtCode').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.districtCode).toBe('230102');
    await eventually(async () => (await h.handle(id).describe()).searchAttributes.District?.[0] === '230102', 10_000, 'District moved');
    const events = await h.events(id);
    expect(events.filter((e) => e.type.startsWith('hand_off_')).map((e) => e.type)).toEqual(['hand_off_requested', 'hand_off_refused', 'hand_off_requested']);
    expect(events.find((e) => e.type === 'reassigned')!.data).toMatchObject({ fromUnitId: 'district-230103', toUnitId: 'district-230102', district: '230102' });
    expect(events.find((e) => e.type === 'reassigned')!.data).not.toHaveProperty('newClockReason');
  });

  it('the office may grant the receiving unit a new clock, with its reason; a unit that had signed for it leaves the receiver its own acknowledgement', async () => {
    const { id } = await h.report(incidentOfTier('sensitive'));
    await h.update(id, acknowledgeUpdate, { actor: nangang, unitId: 'district-230103' });
    const blank = await rejection(
      h.update(id, reassignUpdate, { actor: OFFICE, fromUnitId: 'district-230103', to: toDaoli, reason: '改派', district: '230102', newClockReason: ' ' }),
    );
    expect(blank).toEqual({ type: 'invalid', message: expect.stringContaining('newClockReason') });
    const s = await h.update(id, reassignUpdate, {
      actor: OFFICE,
      fromUnitId: 'district-230103',
      to: toDaoli,
      reason: '门店位于道里区',
      district: '230102',
      newClockReason: '道里区局刚接手,给足调查时间',
    });
    const report = task(s, 'investigation_report:district-230102');
    expect(Date.parse(report.dueAt!) - Date.parse(report.openedAt!)).toBe(48 * H);
    expect(Date.parse(report.openedAt!)).toBeGreaterThan(Date.parse(task(s, 'investigation_report:district-230103').openedAt!));
    expect(task(s, 'acknowledge:district-230103').status).toBe('done');
    expect(task(s, 'acknowledge:district-230102').status).toBe('open');
  });

  it('a forced close ends a waiting hand-off request with the rest: nothing is left to refuse', async () => {
    // Major: closed, the workflow still runs for its review, so a late refusal reaches it.
    const { id } = await h.report(incidentOfTier('major'));
    await h.update(id, requestHandOffUpdate, { actor: nangang, unitId: 'district-230103', reason: '不属本辖区' });
    const closed = await h.update(id, closeUpdate, { actor: LEADERS, reason: '演练结束', force: true });
    expect(closed.handOffs).toBeUndefined();
    expect(closed.tasks.find((t) => t.kind === 'hand_off_review')!.status).toBe('cancelled');
    const late = await rejection(h.update(id, refuseHandOffUpdate, { actor: OFFICE, unitId: 'district-230103', reason: '不同意' }));
    expect(late.type).toBe('not_found');
  });

  it('after tracking, a release waits for the group’s decision on follow-up talking points, approved afresh', async () => {
    const { id } = await h.report(incidentOfTier('sensitive'));
    const department = personOf('dept-food-safety', ['responsible_department']);
    const leaderInCharge = personOf('leadership-group', ['leader_in_charge'], 'fen-guan');
    const leader = personOf('leadership-group', ['leader'], 'zhu-yao');
    const approveBoth = async (version: number) => {
      await h.update(id, approveUpdate, { actor: leaderInCharge, taskKey: 'talking_points_approval', role: 'leader_in_charge', version });
      await h.update(id, approveUpdate, { actor: leader, taskKey: 'talking_points_approval', role: 'leader', version });
      await h.update(id, completeTaskUpdate, { actor: director, taskKey: 'secrecy_review', content: { decision: '不涉密,已审定' } });
    };
    await h.update(id, completeTaskUpdate, { actor: department, taskKey: 'talking_points_draft', content: { facts: '抽检两批次冻肉,一批次超过保质期' } });
    await h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'talking_points_wording', content: { text: '首次回应口径' } });
    await approveBoth(1);
    const release = { actor: OFFICE, form: 'press_release' as const, summary: '首次回应', channel: 'website', talkingPointsVersion: 1 };
    await h.update(id, recordReleaseUpdate, release);
    // Before tracking ends the office may keep speaking with the approved points (口径一致).
    await h.update(id, recordReleaseUpdate, { ...release, summary: '同一口径再次发布', channel: 'weibo' });
    await h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'tracking', note: '舆情出现新的质疑:检测机构资质' });

    const stale = await rejection(h.update(id, recordReleaseUpdate, { ...release, summary: '跟踪后再次发布' }));
    expect(stale).toEqual({ type: 'conflict', message: expect.stringContaining('后续回应口径') });
    const byOffice = await rejection(h.update(id, renewTalkingPointsUpdate, { actor: OFFICE, reason: '需要回应新质疑' }));
    expect(byOffice.type).toBe('forbidden');
    const renewed = await h.update(id, renewTalkingPointsUpdate, { actor: LEADERS, reason: '会商研判:针对检测机构资质的质疑准备后续口径' });
    expect(task(renewed, 'talking_points_wording')).toMatchObject({ status: 'open', round: 2, dueAt: expect.any(String) });
    expect(task(renewed, 'talking_points_approval')).toMatchObject({ status: 'waiting', round: 2, approvals: [] });
    expect(task(renewed, 'secrecy_review')).toMatchObject({ status: 'waiting', round: 2 });
    expect((await rejection(h.update(id, recordReleaseUpdate, { ...release, summary: '未审定即发布' }))).type).toBe('conflict');

    await h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'talking_points_wording', content: { text: '后续回应口径:检测机构具备资质' } });
    await approveBoth(2);
    const old = await rejection(h.update(id, recordReleaseUpdate, { ...release, summary: '旧口径' }));
    expect(old).toEqual({ type: 'invalid', message: expect.stringContaining('talkingPointsVersion') });
    await h.update(id, recordReleaseUpdate, { ...release, summary: '后续回应', talkingPointsVersion: 2 });
    const events = await h.events(id);
    expect(events.filter((e) => e.type === 'released').map((e) => e.data.talkingPointsVersion)).toEqual([1, 1, 2]);
    expect(events.find((e) => e.type === 'talking_points_renewed')!.data).toMatchObject({ reason: expect.stringContaining('检测机构'), actor: LEADERS });
  });

  it('a final report that goes to the local government keeps the unit’s part open until a lead department is named', async () => {
    const { id } = await h.report(incidentOfTier('general'));
    const findings = { truth: 'true' as const, whatHappened: '涉及校园食堂管理', dutyFailure: { found: false }, violation: { found: false } };
    const reported = await h.update(id, submitReportUpdate, {
      actor: nangang,
      unitId: 'district-230103',
      report: { kind: 'final', findings, dispositions: ['report_local_government'], measures: '已向南岗区委区政府汇报', attachments: [] },
    });
    const step = reported.tasks.find((t) => t.kind === 'lead_department')!;
    expect(step).toMatchObject({ status: 'open', unitId: 'district-230103', mandatory: true });
    const early = await rejection(h.update(id, closeUpdate, { actor: OFFICE, reason: '处置完毕' }));
    expect(early).toEqual({ type: 'conflict', message: expect.stringContaining('属地政府明确牵头部门') });
    const empty = await rejection(h.update(id, completeTaskUpdate, { actor: nangang, taskKey: step.key, content: {} }));
    expect(empty).toEqual({ type: 'invalid', message: expect.stringContaining('content.leadDepartment') });
    expect((await rejection(h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: step.key, content: { leadDepartment: '区教育局' } }))).type).toBe(
      'forbidden',
    );
    await h.update(id, completeTaskUpdate, { actor: nangang, taskKey: step.key, content: { leadDepartment: '南岗区教育局牵头,区市场监管局配合' } });
    const closed = await h.update(id, closeUpdate, { actor: OFFICE, reason: '处置完毕' });
    expect(closed.status).not.toBe('handling');
  });
});

describe('deadlines and their chains', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create({
      policy: policyWithAckChain('2s', [
        { after: '0s', action: 'remind', notify: ['owner'] },
        { after: '2s', action: 'escalate', notify: ['opinion_office'] },
        { after: '6s', action: 'escalate', notify: ['office_director'] },
      ]),
    });
  });
  afterAll(() => h.close());

  it('raises one alert per chain step, stops the chain when the step is done, and keeps Overdue current', async () => {
    const { id, handle } = await h.report(incidentOfTier('general'));
    await eventually(async () => (await h.eventsOf(id, 'escalated')).length === 1, 20_000, 'first escalation');
    // Operators find it with the Web UI's filter.
    await eventually(
      async () => {
        const found: string[] = [];
        for await (const wf of h.client.workflow.list({ query: `IncidentTier = "general" AND Overdue = true AND WorkflowId = "${handle.workflowId}"` }))
          found.push(wf.workflowId);
        return found.length === 1;
      },
      10_000,
      'visibility: Overdue = true',
    );
    const acked = await h.update(id, acknowledgeUpdate, { actor: personOf('district-230103', ['district_bureau']), unitId: 'district-230103' });
    expect(acked.overdue).toBe(false);
    await sleep(6_000); // past the third link's time: it must not fire

    const lapsed = await h.eventsOf(id, 'deadline_lapsed');
    expect(lapsed).toHaveLength(1);
    expect(lapsed[0]!.data).toMatchObject({ taskKey: 'acknowledge:district-230103', owner: { role: 'district_bureau', unitId: 'district-230103' } });
    expect(lapsed[0]!.data.lateMs).toBeGreaterThanOrEqual(0);
    expect((await h.eventsOf(id, 'reminder_sent')).map((e) => e.data.stage)).toEqual([0]);
    const escalated = await h.eventsOf(id, 'escalated');
    expect(escalated.map((e) => [e.data.stage, e.data.to[0]!.role])).toEqual([[1, 'opinion_office']]);

    const alerts = await h.alerts(id);
    expect(alerts.map((a) => [a.kind, a.stage])).toEqual([
      ['deadline_lapsed', null],
      ['reminder', 0],
      ['escalation', 1],
    ]);
    expect(alerts.every((a) => a.unitId === 'district-230103' && a.resolvedAt !== null)).toBe(true);

    const desc = await handle.describe();
    expect(desc.searchAttributes.Overdue).toEqual([false]);
    const row = await h.t.db.selectFrom('incidents').select('overdue').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.overdue).toBe(false);
  });
});

describe('deadlines keep real time', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    // 5 s from acceptance: the 2 s first step and the dispatch's own recording fit well before it.
    h = await IncidentHarness.create({ policy: policyWithAckChain('5s', []) });
  });
  afterAll(() => h.close());

  it('a slow first step (2 s inside the first workflow task) does not make its deadlines lapse late', async () => {
    // Hold the routing rules so prepareIncident's read, inside the first workflow task, waits 2 s.
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const held = h.t.db.transaction().execute(async (trx) => {
      await sql`lock table routing_rules in access exclusive mode`.execute(trx);
      locked();
      await sleep(2_000);
    });
    await lockTaken;
    const { id } = await h.report(incidentOfTier('general'));
    await held;
    const [received] = await h.eventsOf(id, 'received');
    await eventually(async () => (await h.eventsOf(id, 'deadline_lapsed')).length === 1, 15_000, 'acknowledgement lapsed');
    const [lapsed] = await h.eventsOf(id, 'deadline_lapsed');
    // The deadline counts from intake's acceptance (plan §5(四)), and fires on it, not 2 s after.
    expect(Date.parse(lapsed!.data.dueAt) - Date.parse(received!.data.receivedAt)).toBe(5_000);
    expect(lapsed!.data.lateMs).toBeLessThan(1_000);
  });
});

describe('versions replay however the first workflow task went', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create({ policy: policyWithAckChain('30s', []) });
  });
  afterAll(() => h.close());

  it('a first step that outlives its workflow task is replayed with the same versions', async () => {
    // Start as intake's relay would, but with a 2 s workflow task timeout: the SDK ends the task at
    // 1.6 s while prepareIncident waits on a lock for 3 s, so its result lands in the next task.
    // A patch asked for after that step was missed on replay (TMPRL1100); versions are read first now.
    const incident = await acceptTestIncident(h.t.db, incidentOfTier('general'));
    const command = (await h.t.db.selectFrom('outbox').select('payload').where('dedupeKey', '=', incident.workflowId).executeTakeFirstOrThrow())
      .payload as StartWorkflowCommand;
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const held = h.t.db.transaction().execute(async (trx) => {
      await sql`lock table routing_rules in access exclusive mode`.execute(trx);
      locked();
      await sleep(3_000);
    });
    await lockTaken;
    const handle = await h.client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId: command.workflowId,
      taskQueue: h.taskQueue,
      args: [command.input],
      workflowTaskTimeout: '2s',
    });
    await held;
    await eventually(async () => (await h.events(incident.id)).length >= 3, 20_000, 'dispatched');
    // The step's events are stored by a local activity before the task that ran it completes: wait for its marker.
    const kindsOf = (h: Awaited<ReturnType<typeof handle.fetchHistory>>) =>
      (h.events ?? [])
        .map((e) => e.markerRecordedEventAttributes?.markerName ?? (e.workflowTaskCompletedEventAttributes ? 'task completed' : ''))
        .filter(Boolean);
    let history = await handle.fetchHistory();
    await eventually(async () => kindsOf((history = await handle.fetchHistory())).length >= 5, 10_000, 'the dispatch recorded');
    const kinds = kindsOf(history);
    // The first task ended while the step ran: its result lands in a later task, the split this test is about.
    expect(kinds.slice(0, 6)).toEqual(['task completed', 'core_patch', 'core_patch', 'core_patch', 'task completed', 'core_local_activity']);
    await expect(Worker.runReplayHistory({ workflowBundle: { code: workflowBundle() } }, history, 'split-first-task')).resolves.toBeUndefined();
  });
});

describe('the critical clocks (default policy)', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it('runs the 4 h release and 24 h press-conference deadlines as named durable timers', async () => {
    const { id, handle } = await h.report(sampleIncident({ flags: ['tied_to_emergency'], suggestedTier: undefined }));
    const state = await h.state(id);
    expect(state.tier).toBe('critical');
    const due = (kind: string) => Date.parse(state.tasks.find((t) => t.kind === kind)!.dueAt!) - Date.parse(state.tierSince);
    expect(due('authoritative_release')).toBe(4 * H);
    expect(due('press_conference')).toBe(24 * H);

    const history = await handle.fetchHistory();
    const timers = (history.events ?? [])
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => ({
        seconds: Number(e.timerStartedEventAttributes!.startToFireTimeout!.seconds),
        summary: e.userMetadata?.summary?.data ? JSON.parse(Buffer.from(e.userMetadata.summary.data).toString()) : '',
      }));
    const release = timers.find((t) => String(t.summary).startsWith('截止:发布权威信息'));
    const conference = timers.find((t) => String(t.summary).startsWith('截止:举行新闻发布会'));
    expect(release?.seconds).toBeGreaterThanOrEqual(4 * 3600 - 5);
    expect(release?.seconds).toBeLessThanOrEqual(4 * 3600);
    expect(conference?.seconds).toBeGreaterThanOrEqual(24 * 3600 - 5);
    expect(conference?.seconds).toBeLessThanOrEqual(24 * 3600);
    // The advance warning an hour before the release runs beside it.
    expect(timers.some((t) => String(t.summary).startsWith('提前提醒:发布权威信息') && t.seconds >= 3 * 3600 - 5 && t.seconds <= 3 * 3600)).toBe(true);
  });
});

describe('reclassification mid-flight', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it('raising general to critical switches path at once, keeps what was done, and starts the critical clocks then', async () => {
    const { id, handle } = await h.report(incidentOfTier('general'));
    await h.update(id, acknowledgeUpdate, { actor: personOf('district-230103', ['district_bureau']), unitId: 'district-230103' });
    await sleep(1_000);
    const raised = await h.update(id, reclassifyUpdate, { actor: LEADERS, tier: 'critical', reason: '央视报道,涉及突发事件' });
    expect(raised.tier).toBe('critical');
    const task = (k: string) => raised.tasks.find((t) => t.key === k)!;
    expect(task('acknowledge:district-230103').status).toBe('done');
    expect(task('acknowledge:dept-food-safety').status).toBe('open');
    expect(Date.parse(task('authoritative_release').dueAt!) - Date.parse(raised.tierSince)).toBe(4 * H);
    expect(Date.parse(task('press_conference').dueAt!) - Date.parse(raised.tierSince)).toBe(24 * H);
    expect(Date.parse(raised.tierSince)).toBeGreaterThan(Date.parse((await h.events(id))[0]!.occurredAt) + 900);

    const changed = await h.eventsOf(id, 'tier_changed');
    expect(changed.map((e) => [e.data.from, e.data.to, e.data.actor?.id])).toEqual([['general', 'critical', LEADERS.id]]);
    const redispatch = (await h.eventsOf(id, 'dispatched')).at(-1)!;
    expect(redispatch.data.reason).toBe('tier_changed');
    expect(redispatch.data.assignments.map((a) => a.unitId)).toEqual(['dept-food-safety']);
    expect(redispatch.data.notify).toEqual(['leader_in_charge', 'deputy_leader', 'leader']);
    await eventually(async () => (await handle.describe()).searchAttributes.IncidentTier?.[0] === 'critical', 10_000, 'IncidentTier updated');

    // Lowering ends what no longer applies.
    const lowered = await h.update(id, reclassifyUpdate, { actor: LEADERS, tier: 'sensitive', reason: '经核实影响有限' });
    expect(lowered.tasks.find((t) => t.kind === 'authoritative_release')!.status).toBe('cancelled');
    expect(lowered.tasks.find((t) => t.kind === 'press_conference')!.cancelReason).toContain('经核实影响有限');
    expect(lowered.tasks.find((t) => t.kind === 'digest')!.status).toBe('open');
  });

  it('a flag’s floor (§4) is lowered only by the group’s leader, with a reason; lowering re-times kept clocks and renames their timers; the review stays owed', async () => {
    const { id, handle } = await h.report(sampleIncident({ flags: ['livelihood'], suggestedTier: undefined }));
    expect((await h.state(id)).tier).toBe('major');
    const office = await rejection(h.update(id, reclassifyUpdate, { actor: OFFICE, tier: 'general', reason: '影响有限' }));
    expect(office.type).toBe('forbidden');
    expect(office.message).toContain('仅领导小组组长可下调');
    const group = await rejection(h.update(id, reclassifyUpdate, { actor: LEADERS, tier: 'sensitive', reason: '影响有限' }));
    expect(group.type).toBe('forbidden');
    // Raising is anyone's who coordinates; the floor only bounds lowering.
    const leader = personOf('leadership-group', ['leader'], 'zu-zhang');
    const lowered = await h.update(id, reclassifyUpdate, { actor: leader, tier: 'general', reason: '经组长研究,系个别消费纠纷,影响有限' });
    expect(lowered.tier).toBe('general');
    const ack = lowered.tasks.find((t) => t.kind === 'acknowledge' && t.status === 'open')!;
    // The major tier's 15-minute clock is gone: the task has the general tier's 2 h from when it opened.
    expect(Date.parse(ack.dueAt!) - Date.parse(ack.openedAt!)).toBe(2 * H);
    expect(lowered.tasks.filter((t) => t.status === 'open' && t.dueAt).every((t) => Date.parse(t.dueAt!) - Date.parse(t.openedAt!) >= 2 * H)).toBe(true);
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => (e.userMetadata?.summary?.data ? String(JSON.parse(Buffer.from(e.userMetadata.summary.data).toString())) : ''));
    expect(summaries.some((s) => s.startsWith('截止:签收预警') && s.endsWith('(2h)'))).toBe(true);

    const closed = await h.update(id, closeUpdate, { actor: leader, reason: '处置完毕', force: true });
    expect(closed.status).toBe('closed');
    expect(closed.tasks.find((t) => t.kind === 'review')).toMatchObject({ status: 'open', mandatory: true });
  });
});

describe('reporters suggest, the office assesses, leaders confirm', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it('a critical tier on the reporter’s word alone runs the critical clocks and needs the group’s confirmation within 15 minutes', async () => {
    const { id } = await h.report(sampleIncident({ suggestedTier: 'critical', flags: [], metrics: { reportCount: 60 } }));
    const state = await h.state(id);
    expect(state.tier).toBe('critical');
    const confirm = state.tasks.find((t) => t.kind === 'tier_confirmation')!;
    expect(confirm).toMatchObject({ status: 'open', owner: 'leadership_group', mandatory: true });
    expect(Date.parse(confirm.dueAt!) - Date.parse(state.tierSince)).toBe(15 * 60_000);
    expect(state.tasks.find((t) => t.kind === 'authoritative_release')!.status).toBe('open');
    // The office assesses; it does not confirm for the group, not even as 代办.
    const byOffice = await rejection(h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'tier_confirmation', content: { decision: '确认' } }));
    expect(byOffice.type).toBe('forbidden');
    const proxied = await rejection(
      h.update(id, completeTaskUpdate, { actor: OFFICE, taskKey: 'tier_confirmation', content: { decision: '确认' }, proxy: { reason: '电话确认' } }),
    );
    expect(proxied.type).toBe('forbidden');
    const empty = await rejection(h.update(id, completeTaskUpdate, { actor: LEADERS, taskKey: 'tier_confirmation' }));
    expect(empty).toEqual({ type: 'invalid', message: expect.stringContaining('content.decision') });
    const confirmed = await h.update(id, completeTaskUpdate, { actor: LEADERS, taskKey: 'tier_confirmation', content: { decision: '确认为特别重大舆情' } });
    expect(confirmed.tasks.find((t) => t.kind === 'tier_confirmation')!.status).toBe('done');

    // Found by the plan's own rules (a flag), critical needs no confirmation.
    const flagged = await h.report(sampleIncident({ flags: ['tied_to_emergency'], suggestedTier: undefined }));
    expect((await h.state(flagged.id)).tasks.some((t) => t.kind === 'tier_confirmation')).toBe(false);
  });
});

describe('steps the plan adds: progress reports, inspection, public security', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create();
  });
  afterAll(() => h.close());

  it('the districts of a critical incident report progress every 2 h, round after round; the office adds an inspection that survives a tier change', async () => {
    const { id } = await h.report(sampleIncident({ flags: ['tied_to_emergency'], suggestedTier: undefined }));
    const state = await h.state(id);
    const progress = state.tasks.filter((t) => t.kind === 'progress_report');
    expect(progress.map((t) => t.key)).toEqual(['progress_report:district-230103']);
    expect(Date.parse(progress[0]!.dueAt!) - Date.parse(progress[0]!.openedAt!)).toBe(2 * H);
    const nangang = personOf('district-230103', ['district_bureau']);
    const empty = await rejection(h.update(id, completeTaskUpdate, { actor: nangang, taskKey: 'progress_report:district-230103' }));
    expect(empty).toEqual({ type: 'invalid', message: expect.stringContaining('content.text') });
    const reported = await h.update(id, completeTaskUpdate, {
      actor: nangang,
      taskKey: 'progress_report:district-230103',
      content: { text: '已封存涉事批次食材,抽样送检' },
    });
    expect(reported.tasks.find((t) => t.key === 'progress_report:district-230103')).toMatchObject({ status: 'open', round: 2 });

    const byDistrict = await rejection(h.update(id, addTaskUpdate, { actor: nangang, kind: 'technical_inspection', deadline: '24h', reason: '需检测' }));
    expect(byDistrict.type).toBe('forbidden');
    const badDeadline = await rejection(h.update(id, addTaskUpdate, { actor: OFFICE, kind: 'technical_inspection', deadline: 'soon', reason: '需检测' }));
    expect(badDeadline).toEqual({ type: 'invalid', message: expect.stringContaining('deadline') });
    const added = await h.update(id, addTaskUpdate, { actor: OFFICE, kind: 'technical_inspection', deadline: '24h', reason: '家长质疑食材变质,需第三方检测' });
    const inspection = added.tasks.find((t) => t.kind === 'technical_inspection')!;
    expect(inspection).toMatchObject({ key: 'technical_inspection#1', status: 'open', unitId: 'dept-food-safety', mandatory: true });
    expect(Date.parse(inspection.dueAt!) - Date.parse(inspection.openedAt!)).toBe(24 * H);
    const lowered = await h.update(id, reclassifyUpdate, {
      actor: personOf('leadership-group', ['leader'], 'zu-zhang'),
      tier: 'major',
      reason: '事态得到控制',
    });
    expect(lowered.tasks.find((t) => t.key === 'technical_inspection#1')!.status).toBe('open');
    expect(lowered.tasks.find((t) => t.key === 'progress_report:district-230103')).toMatchObject({ status: 'open' });
    const done = await h.update(id, completeTaskUpdate, {
      actor: personOf('dept-food-safety', ['responsible_department']),
      taskKey: 'technical_inspection#1',
      content: { text: '检测结果:菌落总数超标' },
    });
    expect(done.tasks.find((t) => t.key === 'technical_inspection#1')!.status).toBe('done');
    expect((await h.eventsOf(id, 'task_added')).map((e) => e.data)).toEqual([
      expect.objectContaining({ taskKind: 'technical_inspection', unitId: 'dept-food-safety', reason: '家长质疑食材变质,需第三方检测' }),
    ]);
  });
});

describe('clocks count from acceptance (§5(四))', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create({ policy: policyWithAckChain('6s', []) });
  });
  afterAll(() => h.close());

  it('a workflow started late (the engine was down) keeps the deadline intake’s acceptance set', async () => {
    const { id } = await h.report(incidentOfTier('general'), { startAfterMs: 2_500 });
    const state = await h.state(id);
    const received = (await h.eventsOf(id, 'received'))[0]!.data.receivedAt;
    const ack = state.tasks.find((t) => t.kind === 'acknowledge')!;
    expect(ack.openedAt).toBe(new Date(received).toISOString());
    expect(Date.parse(ack.dueAt!) - Date.parse(received)).toBe(6_000);
    expect(state.tierSince).toBe(new Date(received).toISOString());
  });
});

describe('durability', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create({ policy: policyWithAckChain('3s', [{ after: '1s', action: 'remind', notify: ['owner'] }]) });
  });
  afterAll(() => h.close());

  it('a deadline that lapses while no worker runs still alerts, once, when a worker returns', async () => {
    const { id } = await h.report(incidentOfTier('general'));
    await h.stopWorker();
    await sleep(5_000);
    expect(await h.eventsOf(id, 'deadline_lapsed')).toHaveLength(0);
    await h.restartWorker();
    await eventually(async () => (await h.eventsOf(id, 'reminder_sent')).length === 1, 20_000, 'reminder after restart');
    await sleep(2_000);
    const lapsed = await h.eventsOf(id, 'deadline_lapsed');
    expect(lapsed).toHaveLength(1);
    expect(lapsed[0]!.data.lateMs).toBeGreaterThan(1_000);
    expect(await h.alerts(id)).toHaveLength(2);
  });
});

describe('policy versions', () => {
  let h: IncidentHarness;
  beforeAll(async () => {
    h = await IncidentHarness.create({ policy: policyWithAckChain('30m', []) });
  });
  afterAll(() => h.close());

  it('a new policy version leaves running incidents on their snapshot', async () => {
    const a = await h.report(incidentOfTier('general'));
    await publishCityPolicy(h.t.db, policyWithAckChain('45m', []));
    await h.t.db
      .insertInto('policies')
      .values({
        scope: '230102',
        version: 1,
        document: JSON.stringify({ name: '道里区预案', tiers: { general: { acknowledge: { deadline: '20m' } } } }),
        createdBy: 'test',
        note: null,
      })
      .execute();
    const b = await h.report(incidentOfTier('general'));
    const c = await h.report(incidentOfTier('general', { district: '道里区' }));

    const ackSpan = (s: IncidentState) => {
      const t = s.tasks.find((x) => x.kind === 'acknowledge')!;
      return (Date.parse(t.dueAt!) - Date.parse(t.openedAt!)) / 60_000;
    };
    const [sa, sb, sc] = await Promise.all([h.state(a.id), h.state(b.id), h.state(c.id)]);
    expect([sa.policyVersion, ackSpan(sa)]).toEqual(['city@2', 30]);
    expect([sb.policyVersion, ackSpan(sb)]).toEqual(['city@3', 45]);
    expect([sc.policyVersion, ackSpan(sc)]).toEqual(['city@3+230102@1', 20]);
    // A raise after the change still follows the incident's own snapshot.
    const raised = await h.update(a.id, reclassifyUpdate, { actor: LEADERS, tier: 'sensitive', reason: '转载增多' });
    expect(raised.policyVersion).toBe('city@2');
  });
});
