/**
 * The fixed codes of the plan (DOMAIN.md, ARCHITECTURE.md). Pure data: this module
 * is imported by workflow code, so it must stay free of Node and third-party runtime
 * imports. Chinese labels for every code live in `labels.zh.ts`.
 */
import type { EventType } from '../events/event-types';

/** Tiers in rising order of severity (plan §4). */
export const TIERS = ['general', 'sensitive', 'major', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

/** Flags a caller may set; each raises the tier to at least the given floor. */
export const FLAG_FLOORS = {
  misreads_bureau_document: 'major',
  public_vital_interest: 'major',
  livelihood: 'major',
  moral_bottom_line: 'major',
  city_government_requests_response: 'major',
  tied_to_emergency: 'critical',
} as const satisfies Record<string, Tier>;
export type Flag = keyof typeof FLAG_FLOORS;
export const FLAGS = Object.keys(FLAG_FLOORS) as Flag[];

/** Topics are the routing keys that pick the responsible department. */
export const TOPICS = [
  'food_safety',
  'product_quality',
  'pricing',
  'consumer_rights',
  'special_equipment',
  'drugs_devices_cosmetics',
  'advertising',
  'registration_licensing',
  'metrology_standards',
  'competition_ip',
  'bureau_conduct',
  'bureau_document',
  'other',
] as const;
export type Topic = (typeof TOPICS)[number];

/** Harbin's districts and counties by GB/T 2260 code. */
export const DISTRICTS = {
  '230102': '道里区',
  '230103': '南岗区',
  '230104': '道外区',
  '230108': '平房区',
  '230109': '松北区',
  '230110': '香坊区',
  '230111': '呼兰区',
  '230112': '阿城区',
  '230113': '双城区',
  '230123': '依兰县',
  '230124': '方正县',
  '230125': '宾县',
  '230126': '巴彦县',
  '230127': '木兰县',
  '230128': '通河县',
  '230129': '延寿县',
  '230183': '尚志市',
  '230184': '五常市',
} as const;
export type DistrictCode = keyof typeof DISTRICTS;
export const DISTRICT_CODES = Object.keys(DISTRICTS) as DistrictCode[];

/** Accepts a code or a Chinese name and returns the code, or undefined. */
export function toDistrictCode(value: string): DistrictCode | undefined {
  const trimmed = value.trim();
  if (trimmed in DISTRICTS) return trimmed as DistrictCode;
  return DISTRICT_CODES.find((code) => DISTRICTS[code] === trimmed);
}

/**
 * Roles of the plan (§2) and the outside bodies. A task's owner and every
 * notification recipient is a role; the directory resolves roles to units and people.
 */
export const ROLES = [
  'responsible_department',
  'district_bureau',
  'opinion_office',
  'office_director',
  'leader_in_charge',
  'deputy_leader',
  'leader',
  'leadership_group',
  'legal_affairs',
  'sci_tech_info',
  'city_party_committee',
  'city_government',
  'provincial_bureau',
  'cyberspace_office',
  'propaganda_department',
  'public_security',
  'local_government',
  'information_officer',
] as const;
export type Role = (typeof ROLES)[number];

/**
 * Roles a person holds personally (a leader, the office director), never a unit's
 * duty officer: only the city's administrators grant them, and a task they own is
 * done by its holder in person.
 */
export const PERSONAL_ROLES: readonly Role[] = ['leader', 'deputy_leader', 'leader_in_charge', 'office_director'];

/**
 * Roles a unit names among its own people (plan §2(一): each member unit's 舆情信息员).
 * Not routed to a unit and never a task's owner: the unit's managers grant them to
 * their own people, whatever roles they hold themselves.
 */
export const STAFF_ROLES: readonly Role[] = ['information_officer'];

/**
 * Kinds of unit that must name an information officer (plan §2(一), §8(二)): the
 * departments and affiliated units that sit in the leadership group, and the
 * district bureaus that receive warnings. One missing is a directory gap.
 */
export const INFORMATION_OFFICER_UNIT_KINDS: readonly UnitKind[] = ['department', 'affiliated', 'district_bureau'];

/** What the directory may be missing for the plan to reach people (listed for the office). */
export const DIRECTORY_GAPS = ['information_officer'] as const;
export type DirectoryGap = (typeof DIRECTORY_GAPS)[number];

/** Roles that decide for the bureau (plan §2.1): their steps are never taken by proxy (代办). */
export const DECISION_ROLES: readonly Role[] = ['leadership_group', 'leader', 'deputy_leader', 'leader_in_charge'];

/** Roles a unit assignment can carry: the units that investigate and report back. */
export const ASSIGNEE_ROLES = ['responsible_department', 'district_bureau'] as const;
export type AssigneeRole = (typeof ASSIGNEE_ROLES)[number];

/**
 * Task kinds: every step of the escalation paths (plan §5–§7). A policy picks
 * which of them a tier runs, who owns each and its deadline.
 */
export const TASK_KINDS = [
  'acknowledge',
  'tier_confirmation',
  'investigation_report',
  'digest',
  'digest_signoff',
  'cyberspace_liaison',
  'emergency_procedure',
  'coordination_meeting',
  'legal_guidance',
  'leadership_materials',
  'report_upward',
  'talking_points_draft',
  'talking_points_wording',
  'talking_points_approval',
  'talking_points_reported',
  'response_plan',
  'response_plan_approval',
  'public_response',
  'authoritative_release',
  'press_conference',
  'follow_up_release',
  'tracking',
  'review',
  'progress_report',
  'secrecy_review',
  'technical_inspection',
  'public_security_referral',
  'hand_off_review',
  'lead_department',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Task kinds done once per assigned unit (the others are done once per incident). */
export const PER_UNIT_TASK_KINDS: readonly TaskKind[] = ['acknowledge', 'investigation_report', 'progress_report'];

/**
 * Per-unit kinds every assigned unit does whatever the policy's owner says (signing
 * for the warning, reporting back), each through its own action; the other per-unit
 * kinds (the districts' progress reports, §2(四)) go to the assigned units holding the owner role.
 */
export const EVERY_ASSIGNEE_TASK_KINDS: readonly TaskKind[] = ['acknowledge', 'investigation_report'];

/**
 * Steps the office adds to a running incident where the facts need them (§5(二), §6(二)):
 * technical inspection and referral to public security, each with the unit that owns it.
 */
export const ADDABLE_TASK_OWNERS = { technical_inspection: 'responsible_department', public_security_referral: 'public_security' } as const satisfies Partial<
  Record<TaskKind, Role>
>;
export type AddableTaskKind = keyof typeof ADDABLE_TASK_OWNERS;
export const ADDABLE_TASK_KINDS = Object.keys(ADDABLE_TASK_OWNERS) as AddableTaskKind[];

/** Task kinds a release to the public completes (see `RELEASE_FORMS`). */
export const RELEASE_TASK_KINDS: readonly TaskKind[] = ['authoritative_release', 'press_conference', 'follow_up_release', 'public_response'];

/**
 * What a step records (plan §7, §7(四)): the fields a person fills in when taking
 * it. A step is refused while any of its fields is empty.
 */
export const CONTENT_FIELDS = [
  'facts',
  'text',
  'decision',
  'minutes',
  'guidance',
  // Free text naming whom a step reported to, recorded before steps named the bodies by unit in `sendTo`: kept to read those records, no longer taken.
  'recipients',
  'cause',
  'nature',
  'impact',
  'responsibility',
  'lessons',
  'leadDepartment',
] as const;
export type ContentField = (typeof CONTENT_FIELDS)[number];
export type TaskContent = Partial<Record<ContentField, string>>;

/** The fields each kind of step must carry; kinds not named record an optional note. */
export const TASK_CONTENT: Readonly<Partial<Record<TaskKind, readonly ContentField[]>>> = {
  tier_confirmation: ['decision'],
  talking_points_draft: ['facts'],
  talking_points_wording: ['text'],
  response_plan: ['text'],
  emergency_procedure: ['decision'],
  coordination_meeting: ['minutes'],
  legal_guidance: ['guidance'],
  report_upward: ['text'],
  review: ['cause', 'nature', 'impact', 'responsibility', 'lessons'],
  progress_report: ['text'],
  secrecy_review: ['decision'],
  technical_inspection: ['text'],
  public_security_referral: ['text'],
  lead_department: ['leadDepartment'],
};

/**
 * Steps that report to outside bodies (报送, plan §5(四), §7(一)): each names the
 * bodies it goes to in `sendTo` (directory units of kind `outside`), and dispatch
 * sends what was reported (the approved talking points, the report's text) to
 * their channels. `sendTo` is the one name for whom a step reports to.
 */
export const OUTSIDE_REPORT_TASK_KINDS: readonly TaskKind[] = ['talking_points_reported', 'report_upward'];

/**
 * Written work that others then approve (the talking points' wording, the deputy
 * leader's response plan): each time it is written is a new version, and an
 * approval names the version its approver read.
 */
export const WRITTEN_TASK_KINDS: readonly TaskKind[] = ['talking_points_wording', 'response_plan'];

/** The written work each approval approves (the policy runs it `after` that work): what an approval's version refers to. */
export const APPROVED_WRITING: Readonly<Partial<Record<TaskKind, TaskKind>>> = {
  talking_points_approval: 'talking_points_wording',
  response_plan_approval: 'response_plan',
};

/** `handling` tasks run until the incident closes; `closing` ones (the review) open when it does. */
export const TASK_PHASES = ['handling', 'closing'] as const;
export type TaskPhase = (typeof TASK_PHASES)[number];

export const TASK_STATUSES = ['waiting', 'open', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Incident lifecycle, mirrored in the `IncidentStatus` search attribute. */
export const INCIDENT_STATUSES = ['received', 'handling', 'closed', 'archived', 'merged'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Forms of organised response (plan §7.2). */
export const RELEASE_FORMS = ['press_release', 'press_conference', 'briefing', 'interview', 'expert_interpretation'] as const;
export type ReleaseForm = (typeof RELEASE_FORMS)[number];

/** Dispositions by finding (plan §6.2). */
export const DISPOSITIONS = ['immediate_measures', 'mediation', 'case_filing', 'reply', 'refer_public_security', 'report_local_government'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const REPORT_KINDS = ['interim', 'final'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** What a report did to its incident (ARCHITECTURE.md, correlation contract). */
export const REPORT_OUTCOMES = ['opened', 'joined', 'reassessed'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/**
 * Why a report belongs to its incident: it `opened` it; the same caller id again
 * (`caller_id`); the caller's `event_key`; the same `source_url`; close `text`
 * (same topic, district matching or absent, within the window); or a person moved
 * it into an incident of its own (`split`).
 */
export const MATCH_RULES = ['opened', 'caller_id', 'event_key', 'source_url', 'text', 'split'] as const;
export type MatchRule = (typeof MATCH_RULES)[number];

/** Incidents a new report may join by event key, URL or text: not yet closed, not merged. */
export const LIVE_STATUSES = ['received', 'handling'] as const satisfies readonly IncidentStatus[];

export const CHAIN_ACTIONS = ['remind', 'escalate'] as const;
export type ChainAction = (typeof CHAIN_ACTIONS)[number];

/**
 * The "four firsts" (四个第一, plan §5), each measured as a delay from intake:
 * assessed, dispatched, the cyberspace office contacted, the procedure started
 * (the emergency procedure where the tier has one, else the first acknowledgement).
 */
export const FOUR_FIRSTS = ['assessed', 'dispatched', 'cyberspace_liaison', 'procedure_started'] as const;
export type FourFirst = (typeof FOUR_FIRSTS)[number];

/** Kinds of deadline alert, each kept against the accountable unit (table `alerts`). */
export const ALERT_KINDS = ['deadline_lapsed', 'reminder', 'escalation'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * Kinds of unit in the bureau's organisation (plan §2) and the three-level liaison
 * network of §8 (city, district, station 所).
 */
export const UNIT_KINDS = ['leadership', 'office', 'department', 'affiliated', 'district_bureau', 'station', 'outside'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** How a notification reaches a unit or a person (configured as data per unit or person). */
export const CHANNEL_KINDS = ['webhook', 'wecom', 'dingtalk', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A delivery is waiting (or retrying), has arrived, or gave up and waits for an operator (dead letter). */
export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The periodic summary reports to the leaders (舆情日报, 舆情周报), generated on a Temporal schedule. */
export const SUMMARY_KINDS = ['daily', 'weekly'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];

/** The leadership roles the summary reports are sent to. */
export const LEADERSHIP_ROLES: readonly Role[] = ['leader', 'deputy_leader', 'leader_in_charge'];

/**
 * What a notification delivery is about besides an incident's event: a summary
 * report (a delivery's `event_type` is an event type or one of these).
 */
export const DELIVERY_SUBJECTS = ['summary_report'] as const;
export type DeliverySubject = (typeof DELIVERY_SUBJECTS)[number];

/**
 * Groups the directory keeps besides units (plan §8(二)): the expert pool that
 * guides public-opinion work (舆情引导专家库) and the commentator team (网评员队伍),
 * which talking points and releases draw on. Members are directory persons or
 * outside contacts.
 */
export const DIRECTORY_GROUPS = ['expert_pool', 'commentator_team'] as const;
export type DirectoryGroup = (typeof DIRECTORY_GROUPS)[number];

/**
 * Kinds of the bureau's own release channels (plan §8(三): 两微一端, the portal
 * website, the official Weibo, the WeChat official account and the news app); the
 * channels themselves are data (table `release_channels`), each release names one.
 */
export const RELEASE_CHANNEL_KINDS = ['website', 'weibo', 'wechat', 'news_app', 'other'] as const;
export type ReleaseChannelKind = (typeof RELEASE_CHANNEL_KINDS)[number];

/**
 * What makes an accountability record (问责记录, plan §8(五)3: 杜绝推诿、缓办): a
 * lapse of a deadline and each escalation (督办) that chased it, by their event types.
 */
export const ACCOUNTABILITY_CAUSES = ['deadline_lapsed', 'escalated'] as const satisfies readonly EventType[];
export type AccountabilityCause = (typeof ACCOUNTABILITY_CAUSES)[number];

/** What the office decides on an accountability record: a talk (约谈), a circular (通报), or excused (免责). */
export const ACCOUNTABILITY_OUTCOMES = ['talk', 'circular', 'exempt'] as const;
export type AccountabilityOutcome = (typeof ACCOUNTABILITY_OUTCOMES)[number];

/** How a person came to answer for a unit at a moment: a roster shift, standing duty, or as its information officer. */
export const ANSWERABLE_VIA = ['roster', 'standing', 'information_officer'] as const;
export type AnswerableVia = (typeof ANSWERABLE_VIA)[number];

/**
 * Type guards for codes read from free-form places (a routing rule's `match`, a
 * query string): a check, never a cast.
 */
const member =
  <T extends string>(values: readonly T[]) =>
  (value: string | null | undefined): value is T =>
    value !== null && value !== undefined && (values as readonly string[]).includes(value);
export const isTier = member(TIERS);
export const isTopic = member(TOPICS);
export const isRole = member(ROLES);
export const isDistrictCode = member(DISTRICT_CODES);
