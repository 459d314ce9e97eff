import { durationMs } from '../domain/durations';
import { RELEASE_TASK_KINDS, type Role, type TaskKind, type Tier } from '../domain/vocabulary';
import type { DistrictOverride, PolicyDocument, TaskPolicy } from './policy.schema';

/**
 * The plan's own rules, which no city policy and no district plan may loosen
 * (plan §4, §5, §7, §8(五)). Policies are data the bureau edits; these are not:
 * every published policy is checked against them, and the resolved policy of a
 * district too.
 */
interface TierMinimum {
  /** Tasks the tier must have, done before the incident closes (mandatory). */
  readonly mandatory: readonly TaskKind[];
  /** Who must approve a task, at least. */
  readonly approvals: Partial<Record<TaskKind, readonly Role[]>>;
  /** What a public release must wait for (§7: approved, reported talking points and the leader's response plan). */
  readonly releaseRequires: readonly TaskKind[];
  /** Statutory deadlines that may be shortened, never lengthened (§5(四)). */
  readonly maxDeadline: Partial<Record<TaskKind, string>>;
}

const TALKING_POINTS_APPROVERS: readonly Role[] = ['leader_in_charge', 'leader'];

export const PLAN_MINIMUM: Readonly<Partial<Record<Tier, TierMinimum>>> = {
  major: {
    mandatory: ['talking_points_approval', 'secrecy_review', 'talking_points_reported', 'response_plan', 'response_plan_approval', 'review'],
    approvals: { talking_points_approval: TALKING_POINTS_APPROVERS, response_plan_approval: ['leader'] },
    releaseRequires: ['talking_points_approval', 'secrecy_review', 'talking_points_reported', 'response_plan_approval'],
    maxDeadline: {},
  },
  critical: {
    mandatory: [
      'talking_points_approval',
      'secrecy_review',
      'talking_points_reported',
      'response_plan',
      'response_plan_approval',
      'authoritative_release',
      'press_conference',
      'review',
    ],
    approvals: { talking_points_approval: TALKING_POINTS_APPROVERS, response_plan_approval: ['leader'] },
    releaseRequires: ['talking_points_approval', 'secrecy_review', 'talking_points_reported', 'response_plan_approval'],
    maxDeadline: { authoritative_release: '4h', press_conference: '24h' },
  },
};

export interface PlanProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Where a (resolved) policy falls short of the plan; each problem names its path and says why in Chinese. */
export function planProblems(doc: PolicyDocument): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const [tier, min] of Object.entries(PLAN_MINIMUM) as [Tier, TierMinimum][]) {
    const tasks = doc.tiers[tier].tasks;
    const at = (kind: TaskKind): { task: TaskPolicy; i: number } | undefined => {
      const i = tasks.findIndex((t) => t.kind === kind);
      return i < 0 ? undefined : { task: tasks[i]!, i };
    };
    for (const kind of min.mandatory) {
      const found = at(kind);
      if (!found) problems.push({ path: ['tiers', tier, 'tasks'], message: `预案规定${tier}级须有 ${kind},不能删除 (the plan requires ${kind} for ${tier})` });
      else if (!found.task.mandatory)
        problems.push({
          path: ['tiers', tier, 'tasks', found.i, 'mandatory'],
          message: `预案规定 ${kind} 为必办事项 (the plan makes ${kind} mandatory for ${tier})`,
        });
    }
    for (const [kind, roles] of Object.entries(min.approvals) as [TaskKind, readonly Role[]][]) {
      const found = at(kind);
      const missing = roles.filter((r) => !found?.task.approvals.includes(r));
      if (found && missing.length > 0)
        problems.push({
          path: ['tiers', tier, 'tasks', found.i, 'approvals'],
          message: `预案规定 ${kind} 须经 ${missing.join('、')} 审定 (the plan requires approval by ${missing.join(', ')})`,
        });
    }
    tasks.forEach((task, i) => {
      if (!RELEASE_TASK_KINDS.includes(task.kind)) return;
      const missing = min.releaseRequires.filter((k) => !task.requires.includes(k));
      if (missing.length > 0)
        problems.push({
          path: ['tiers', tier, 'tasks', i, 'requires'],
          message: `预案规定对外发布前须完成 ${missing.join('、')} (a release on the ${tier} path requires ${missing.join(', ')})`,
        });
    });
    for (const [kind, max] of Object.entries(min.maxDeadline) as [TaskKind, string][]) {
      const found = at(kind);
      if (!found) continue;
      const { deadline } = found.task;
      if (!deadline || durationMs(deadline) > durationMs(max))
        problems.push({
          path: ['tiers', tier, 'tasks', found.i, 'deadline'],
          message: `预案规定 ${kind} 时限不超过 ${max} (the plan sets ${kind} within ${max}; got ${deadline ?? 'no deadline'})`,
        });
    }
  }
  return problems;
}

/**
 * A district plan may tighten the city policy, never loosen it (plan §2(四)):
 * no longer deadline, no clock removed, no mandatory step made optional, no
 * chain that reaches its first escalation later or has fewer links.
 */
export function loosenedByDistrict(city: PolicyDocument, override: DistrictOverride): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const [tier, tasks] of Object.entries(override.tiers) as [Tier, DistrictOverride['tiers'][Tier]][]) {
    for (const [kind, o] of Object.entries(tasks ?? {}) as [TaskKind, NonNullable<NonNullable<DistrictOverride['tiers'][Tier]>[TaskKind]>][]) {
      const base = city.tiers[tier].tasks.find((t) => t.kind === kind);
      if (!base) continue;
      const path = ['tiers', tier, kind];
      if (o.deadline !== undefined && base.deadline !== undefined && durationMs(o.deadline) > durationMs(base.deadline))
        problems.push({
          path: [...path, 'deadline'],
          message: `区县预案只能缩短时限:市级为 ${base.deadline} (a district may not lengthen ${kind} beyond ${base.deadline})`,
        });
      if (o.mandatory === false && base.mandatory)
        problems.push({ path: [...path, 'mandatory'], message: `区县预案不能把市级必办事项改为可选 (${kind} is mandatory in the city policy)` });
      if (o.chain !== undefined) {
        if (o.chain.length < base.chain.length)
          problems.push({ path: [...path, 'chain'], message: `区县预案不能减少催办升级环节 (the city chain of ${kind} has ${base.chain.length} links)` });
        o.chain.forEach((step, i) => {
          const cityStep = base.chain[i];
          if (cityStep && durationMs(step.after) > durationMs(cityStep.after))
            problems.push({
              path: [...path, 'chain', i, 'after'],
              message: `区县预案不能推迟催办升级:市级为 ${cityStep.after} (later than the city's ${cityStep.after})`,
            });
        });
      }
    }
  }
  return problems;
}
