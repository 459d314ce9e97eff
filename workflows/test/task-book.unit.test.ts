import { DEFAULT_POLICY, PolicyDocumentSchema, type Assignment, type Actor } from '@yuqing/shared';
import { TaskBook, taskKey } from '../src/incident/task-book';

const policy = PolicyDocumentSchema.parse(DEFAULT_POLICY);
const roleUnits: Record<string, string> = {
  opinion_office: 'opinion-office',
  office_director: 'opinion-office',
  leader_in_charge: 'leadership-group',
  leader: 'leadership-group',
  deputy_leader: 'leadership-group',
  leadership_group: 'leadership-group',
  legal_affairs: 'dept-legal',
  sci_tech_info: 'dept-sci-tech',
  responsible_department: 'dept-food-safety',
};
const dept: Assignment = { unitId: 'dept-food-safety', unitName: '食品经营安全监督管理处', role: 'responsible_department' };
const district: Assignment = { unitId: 'district-230103', unitName: '南岗区市场监督管理局', role: 'district_bureau' };
const actor: Actor = { id: 'p1', kind: 'person' };
const T0 = Date.parse('2026-11-28T01:00:00Z');
const H = 3_600_000;

function book() {
  return new TaskBook((role) => roleUnits[role]);
}

describe('TaskBook', () => {
  it('opens a general incident with the district bureau’s acknowledgement and report', () => {
    const b = book();
    b.applyTier(policy.tiers.general, [district], T0, false, '');
    const open = b.list().filter((t) => t.status === 'open');
    expect(open.map((t) => t.key).sort()).toEqual([
      'acknowledge:district-230103',
      'investigation_report:district-230103',
      'public_response',
      'talking_points_draft',
    ]);
    expect(b.get('acknowledge:district-230103')!.dueAt).toBe(new Date(T0 + 2 * H).toISOString());
    expect(b.get('talking_points_wording')!.status).toBe('waiting');
    expect(
      b
        .outstanding('handling')
        .map((t) => t.key)
        .sort(),
    ).toEqual(['acknowledge:district-230103', 'investigation_report:district-230103']);
  });

  it('opens a task when what it waits for is done, with its clock starting then', () => {
    const b = book();
    b.applyTier(policy.tiers.sensitive, [dept, district], T0, false, '');
    expect(b.get('digest_signoff')!.status).toBe('waiting');
    b.complete('digest', actor, T0 + H);
    const signoff = b.get('digest_signoff')!;
    expect(signoff.status).toBe('open');
    expect(signoff.dueAt).toBe(new Date(T0 + 2 * H).toISOString());
  });

  it('completes an approval task only when every required role approved', () => {
    const b = book();
    b.applyTier(policy.tiers.sensitive, [dept, district], T0, false, '');
    b.complete('talking_points_draft', actor, T0);
    b.complete('talking_points_wording', actor, T0);
    const first = b.approve('talking_points_approval', { role: 'leader_in_charge', actor, at: 'x' }, T0);
    expect(first.complete).toBe(false);
    expect(b.missingRequirements(b.get('public_response')!).map((t) => t.key)).toEqual(['talking_points_approval', 'secrecy_review']);
    const second = b.approve('talking_points_approval', { role: 'leader', actor, at: 'x' }, T0);
    expect(second.complete).toBe(true);
    // The secrecy review opens once the talking points are approved, and the release waits for it too.
    expect(b.get('secrecy_review')!.status).toBe('open');
    expect(b.missingRequirements(b.get('public_response')!).map((t) => t.key)).toEqual(['secrecy_review']);
    b.complete('secrecy_review', actor, T0);
    expect(b.missingRequirements(b.get('public_response')!)).toEqual([]);
  });

  it('raising the tier keeps what is done, adds the new path and only ever brings deadlines forward', () => {
    const b = book();
    b.applyTier(policy.tiers.general, [district], T0, false, '');
    b.complete('acknowledge:district-230103', actor, T0 + 10 * 60_000);
    b.takeChanged();
    const raisedAt = T0 + H;
    b.applyTier(policy.tiers.critical, [dept, district], raisedAt, true, 'raised');
    expect(b.get('acknowledge:district-230103')!.status).toBe('done');
    expect(b.get('acknowledge:dept-food-safety')!.dueAt).toBe(new Date(raisedAt + 10 * 60_000).toISOString());
    expect(b.get('authoritative_release')!.dueAt).toBe(new Date(raisedAt + 4 * H).toISOString());
    expect(b.get('press_conference')!.dueAt).toBe(new Date(raisedAt + 24 * H).toISOString());
    // general's 72 h report becomes critical's 24 h from the raise.
    expect(b.get('investigation_report:district-230103')!.dueAt).toBe(new Date(raisedAt + 24 * H).toISOString());
    // general's optional public response is not on the critical path.
    expect(b.get('public_response')!.status).toBe('cancelled');
    expect(b.takeChanged().length).toBeGreaterThan(10);
  });

  it('lowering the tier ends the tasks that no longer apply and keeps the running clocks', () => {
    const b = book();
    b.applyTier(policy.tiers.major, [dept, district], T0, false, '');
    const ackDue = b.get('acknowledge:district-230103')!.dueAt;
    b.applyTier(policy.tiers.general, [district], T0 + H, false, 'calmed down');
    for (const k of ['emergency_procedure', 'digest', 'legal_guidance', 'acknowledge:dept-food-safety']) {
      expect(b.get(k)!.status).toBe('cancelled');
      expect(b.get(k)!.cancelReason).toBe('calmed down');
    }
    expect(b.get('acknowledge:district-230103')!.dueAt).toBe(ackDue);
  });

  it('reassigns a unit’s open tasks; the new unit’s clock starts at the reassignment', () => {
    const b = book();
    b.applyTier(policy.tiers.general, [district], T0, false, '');
    const other: Assignment = { unitId: 'district-230102', unitName: '道里区市场监督管理局', role: 'district_bureau' };
    b.reassign('district-230103', other, policy.tiers.general, T0 + H, 'not ours');
    expect(b.get('acknowledge:district-230103')!.status).toBe('cancelled');
    expect(b.get(taskKey('acknowledge', 'district-230102'))!.dueAt).toBe(new Date(T0 + 3 * H).toISOString());
  });

  it('repeats a periodic release with a fresh deadline', () => {
    const b = book();
    b.applyTier(policy.tiers.critical, [dept, district], T0, false, '');
    b.complete('press_conference', actor, T0 + 20 * H);
    expect(b.get('follow_up_release')!.status).toBe('open');
    b.complete('follow_up_release', actor, T0 + 30 * H);
    const again = b.repeat('follow_up_release', T0 + 30 * H)!;
    expect(again.round).toBe(2);
    expect(again.dueAt).toBe(new Date(T0 + 54 * H).toISOString());
  });

  it('numbers every change so consumers can keep the newest', () => {
    const b = book();
    b.applyTier(policy.tiers.general, [district], T0, false, '');
    const before = b.get('acknowledge:district-230103')!.seq;
    b.markLapsed('acknowledge:district-230103', T0 + 3 * H);
    expect(b.get('acknowledge:district-230103')!.seq).toBeGreaterThan(before);
    expect(b.anyOverdue()).toBe(true);
  });
});
