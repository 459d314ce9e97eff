import type { ChainStep, PolicyDocumentInput, TaskPolicy } from './policy.schema';
import type { Role, TaskKind } from '../domain/vocabulary';

/**
 * The default escalation policy shipped with the system. The plan fixes only the
 * critical tier's 4 h authoritative release and 24 h press conference; every other
 * deadline is local policy, documented in docs/policy.md and editable as data.
 * Other defaults follow the State Council General Office's 2016 rules (response
 * within 48 h for incidents that are not serious emergencies), tightened per tier.
 */

type TaskInput = Partial<TaskPolicy> & { kind: TaskKind; owner: Role };

/** Remind the owner when the deadline lapses, then escalate level by level. */
function chase(...levels: [after: string, role: Role][]): ChainStep[] {
  return [{ after: '0s', action: 'remind', notify: ['owner'] }, ...levels.map(([after, role]): ChainStep => ({ after, action: 'escalate', notify: [role] }))];
}

const task = (input: TaskInput): TaskInput => input;

/** Talking points: department drafts facts, office words them, two leaders approve (plan §7.1). */
function talkingPoints(draft: string, wording: string, approval: string, chain: ChainStep[]): TaskInput[] {
  return [
    task({ kind: 'talking_points_draft', owner: 'responsible_department', deadline: draft, chain }),
    task({ kind: 'talking_points_wording', owner: 'opinion_office', deadline: wording, after: ['talking_points_draft'], chain }),
    task({
      kind: 'talking_points_approval',
      owner: 'leader_in_charge',
      deadline: approval,
      after: ['talking_points_wording'],
      approvals: ['leader_in_charge', 'leader'],
      chain,
    }),
  ];
}

/** Optional talking points with no clock: lets a general incident still release with approval. */
const optionalTalkingPoints: TaskInput[] = [
  task({ kind: 'talking_points_draft', owner: 'responsible_department', mandatory: false }),
  task({ kind: 'talking_points_wording', owner: 'opinion_office', after: ['talking_points_draft'], mandatory: false }),
  task({
    kind: 'talking_points_approval',
    owner: 'leader_in_charge',
    after: ['talking_points_wording'],
    approvals: ['leader_in_charge', 'leader'],
    mandatory: false,
  }),
];

/** The response plan: the deputy leader drafts it, the leader approves it (组长审定, plan §7). */
function responsePlan(draft: string, approval: string, chain: ChainStep[]): TaskInput[] {
  return [
    task({ kind: 'response_plan', owner: 'deputy_leader', deadline: draft, chain }),
    task({ kind: 'response_plan_approval', owner: 'leader', deadline: approval, after: ['response_plan'], approvals: ['leader'], chain }),
  ];
}

/** Before any release (plan §8(五)1): approved talking points, and the secrecy and authorisation check. */
const releaseNeeds: TaskKind[] = ['talking_points_approval', 'secrecy_review'];
/** Major and critical (plan §7): the approved talking points reported upward and the leader's response plan come first too. */
const cityReleaseNeeds: TaskKind[] = [...releaseNeeds, 'talking_points_reported', 'response_plan_approval'];

/** 保密审查: the office director checks what is to be released once the talking points are approved. */
function secrecyReview(deadline: string | undefined, chain: ChainStep[] = []): TaskInput {
  return task({
    kind: 'secrecy_review',
    owner: 'office_director',
    ...(deadline ? { deadline } : { mandatory: false }),
    after: ['talking_points_approval'],
    chain,
  });
}

/** 实时报送 (plan §2(四)): the districts involved report progress to the leadership group, again and again. */
function progressReports(every: string, chain: ChainStep[]): TaskInput {
  return task({ kind: 'progress_report', owner: 'district_bureau', deadline: every, repeat: every, mandatory: false, chain });
}

export const DEFAULT_POLICY: PolicyDocumentInput = {
  name: '哈尔滨市市场监督管理局舆情应急处置默认策略',
  tiers: {
    general: {
      lead: 'district',
      assign: 'department_or_district',
      notify: [],
      tasks: [
        task({ kind: 'acknowledge', owner: 'district_bureau', deadline: '2h', chain: chase(['1h', 'opinion_office'], ['4h', 'office_director']) }),
        task({
          kind: 'investigation_report',
          owner: 'district_bureau',
          deadline: '72h',
          chain: chase(['12h', 'opinion_office'], ['24h', 'office_director']),
        }),
        ...optionalTalkingPoints,
        secrecyReview(undefined),
        task({ kind: 'public_response', owner: 'opinion_office', requires: releaseNeeds, mandatory: false }),
      ],
    },
    sensitive: {
      lead: 'district',
      assign: 'department_and_district',
      notify: ['leader_in_charge'],
      tasks: [
        task({ kind: 'acknowledge', owner: 'district_bureau', deadline: '30m', chain: chase(['15m', 'opinion_office'], ['1h', 'office_director']) }),
        task({ kind: 'digest', owner: 'opinion_office', deadline: '2h', chain: chase(['30m', 'office_director']) }),
        task({
          kind: 'digest_signoff',
          owner: 'office_director',
          deadline: '1h',
          after: ['digest'],
          approvals: ['office_director'],
          chain: chase(['1h', 'leader_in_charge']),
        }),
        task({ kind: 'cyberspace_liaison', owner: 'opinion_office', deadline: '4h', chain: chase(['1h', 'office_director']) }),
        ...talkingPoints('12h', '6h', '6h', chase(['2h', 'office_director'], ['6h', 'leader_in_charge'])),
        secrecyReview('2h', chase(['1h', 'leader_in_charge'])),
        task({
          kind: 'public_response',
          owner: 'opinion_office',
          deadline: '48h',
          requires: releaseNeeds,
          warnBefore: '6h',
          chain: chase(['2h', 'office_director'], ['6h', 'leader_in_charge']),
        }),
        task({
          kind: 'investigation_report',
          owner: 'district_bureau',
          deadline: '48h',
          chain: chase(['6h', 'opinion_office'], ['12h', 'leader_in_charge']),
        }),
        task({ kind: 'tracking', owner: 'opinion_office', deadline: '24h', after: ['public_response'], chain: chase(['6h', 'office_director']) }),
      ],
    },
    major: {
      lead: 'city',
      assign: 'department_and_district',
      notify: ['leader_in_charge', 'deputy_leader', 'leader'],
      tasks: [
        task({ kind: 'acknowledge', owner: 'district_bureau', deadline: '15m', chain: chase(['15m', 'office_director'], ['1h', 'deputy_leader']) }),
        task({ kind: 'digest', owner: 'opinion_office', deadline: '1h', chain: chase(['15m', 'office_director'], ['1h', 'deputy_leader']) }),
        task({
          kind: 'digest_signoff',
          owner: 'office_director',
          deadline: '30m',
          after: ['digest'],
          approvals: ['office_director'],
          chain: chase(['30m', 'deputy_leader']),
        }),
        task({ kind: 'cyberspace_liaison', owner: 'opinion_office', deadline: '1h', chain: chase(['30m', 'office_director']) }),
        task({ kind: 'emergency_procedure', owner: 'leadership_group', deadline: '2h', chain: chase(['30m', 'leader']) }),
        task({ kind: 'coordination_meeting', owner: 'deputy_leader', deadline: '4h', chain: chase(['1h', 'leader']) }),
        task({ kind: 'legal_guidance', owner: 'legal_affairs', deadline: '12h', chain: chase(['2h', 'deputy_leader']) }),
        task({ kind: 'leadership_materials', owner: 'sci_tech_info', deadline: '12h', chain: chase(['2h', 'deputy_leader']) }),
        ...talkingPoints('4h', '2h', '2h', chase(['1h', 'deputy_leader'], ['2h', 'leader'])),
        secrecyReview('1h', chase(['30m', 'deputy_leader'])),
        progressReports('4h', chase(['1h', 'opinion_office'], ['2h', 'deputy_leader'])),
        task({
          kind: 'talking_points_reported',
          owner: 'opinion_office',
          deadline: '1h',
          after: ['talking_points_approval'],
          chain: chase(['1h', 'deputy_leader']),
        }),
        ...responsePlan('10h', '2h', chase(['2h', 'leader'])),
        task({
          kind: 'public_response',
          owner: 'opinion_office',
          deadline: '24h',
          requires: cityReleaseNeeds,
          warnBefore: '4h',
          chain: chase(['1h', 'deputy_leader'], ['2h', 'leader']),
        }),
        task({
          kind: 'investigation_report',
          owner: 'district_bureau',
          deadline: '48h',
          chain: chase(['6h', 'office_director'], ['12h', 'deputy_leader']),
        }),
        task({ kind: 'tracking', owner: 'opinion_office', deadline: '24h', after: ['public_response'], chain: chase(['6h', 'office_director']) }),
        task({ kind: 'review', owner: 'opinion_office', deadline: '7d', phase: 'closing', chain: chase(['2d', 'office_director']) }),
      ],
    },
    critical: {
      lead: 'city',
      assign: 'department_and_district',
      notify: ['leader_in_charge', 'deputy_leader', 'leader'],
      tasks: [
        task({ kind: 'acknowledge', owner: 'district_bureau', deadline: '10m', chain: chase(['10m', 'office_director'], ['30m', 'deputy_leader']) }),
        // A reporter's word alone does not make an incident critical: the group confirms it (or lowers it) quickly.
        task({ kind: 'tier_confirmation', owner: 'leadership_group', deadline: '15m', onlyWhen: 'tier_suggested_only', chain: chase(['5m', 'leader']) }),
        task({ kind: 'digest', owner: 'opinion_office', deadline: '30m', chain: chase(['10m', 'office_director'], ['30m', 'deputy_leader']) }),
        task({
          kind: 'digest_signoff',
          owner: 'office_director',
          deadline: '15m',
          after: ['digest'],
          approvals: ['office_director'],
          chain: chase(['15m', 'deputy_leader']),
        }),
        task({ kind: 'cyberspace_liaison', owner: 'opinion_office', deadline: '30m', chain: chase(['15m', 'office_director']) }),
        task({ kind: 'emergency_procedure', owner: 'leadership_group', deadline: '30m', chain: chase(['15m', 'leader']) }),
        task({ kind: 'report_upward', owner: 'leadership_group', deadline: '1h', chain: chase(['15m', 'leader']) }),
        task({ kind: 'coordination_meeting', owner: 'deputy_leader', deadline: '2h', chain: chase(['30m', 'leader']) }),
        task({ kind: 'legal_guidance', owner: 'legal_affairs', deadline: '6h', chain: chase(['1h', 'deputy_leader']) }),
        task({ kind: 'leadership_materials', owner: 'sci_tech_info', deadline: '4h', chain: chase(['1h', 'deputy_leader']) }),
        ...talkingPoints('1h', '1h', '1h', chase(['15m', 'deputy_leader'], ['30m', 'leader'])),
        secrecyReview('30m', chase(['15m', 'deputy_leader'])),
        progressReports('2h', chase(['30m', 'opinion_office'], ['1h', 'deputy_leader'])),
        task({
          kind: 'talking_points_reported',
          owner: 'opinion_office',
          deadline: '30m',
          after: ['talking_points_approval'],
          chain: chase(['30m', 'deputy_leader']),
        }),
        ...responsePlan('2h', '1h', chase(['30m', 'leader'])),
        task({
          kind: 'authoritative_release',
          owner: 'opinion_office',
          deadline: '4h',
          requires: cityReleaseNeeds,
          warnBefore: '1h',
          chain: chase(['15m', 'deputy_leader'], ['30m', 'leader']),
        }),
        task({
          kind: 'press_conference',
          owner: 'opinion_office',
          deadline: '24h',
          requires: cityReleaseNeeds,
          warnBefore: '4h',
          chain: chase(['1h', 'deputy_leader'], ['2h', 'leader']),
        }),
        task({
          kind: 'follow_up_release',
          owner: 'opinion_office',
          deadline: '24h',
          after: ['press_conference'],
          requires: cityReleaseNeeds,
          repeat: '24h',
          mandatory: false,
          chain: chase(['2h', 'deputy_leader']),
        }),
        task({
          kind: 'investigation_report',
          owner: 'district_bureau',
          deadline: '24h',
          chain: chase(['2h', 'deputy_leader'], ['6h', 'leader']),
        }),
        task({ kind: 'tracking', owner: 'opinion_office', deadline: '24h', after: ['authoritative_release'], chain: chase(['6h', 'office_director']) }),
        task({ kind: 'review', owner: 'opinion_office', deadline: '7d', phase: 'closing', chain: chase(['2d', 'office_director']) }),
      ],
    },
  },
};
