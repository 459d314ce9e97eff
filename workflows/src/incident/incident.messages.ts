import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  Actor,
  AddableTaskKind,
  Assignment,
  AssessmentReason,
  DistrictCode,
  IncidentState,
  ReleaseForm,
  Report,
  Role,
  TaskContent,
  TaskKind,
  Tier,
} from '@yuqing/shared/domain';

/** What intake hands the workflow: the incident as reported, and its assessment (shared/src/incident/incident-start.ts). */
export type { IncidentWorkflowInput } from '@yuqing/shared/domain';

/** The incident as the workflow sees it now: answered by the `state` query and by every update (shared/src/incident). */
export type { IncidentState };

/** 代办: the opinion office takes a step for another unit, with the reason (recorded and shown). */
export interface Proxy {
  readonly reason: string;
}

export interface AcknowledgeInput {
  readonly actor: Actor;
  readonly unitId: string;
  readonly proxy?: Proxy;
}
export interface SubmitReportInput {
  readonly actor: Actor;
  readonly unitId: string;
  readonly report: Report;
  readonly proxy?: Proxy;
}
export interface CompleteTaskInput {
  readonly actor: Actor;
  readonly taskKey: string;
  readonly proxy?: Proxy;
  /** The record itself: the digest text, meeting minutes, guidance given… */
  readonly note?: string;
  /** For the digest: the proposed handling (拟办意见). */
  readonly proposal?: string;
  readonly url?: string;
  /** What the step records, by field (TASK_CONTENT names the fields each kind requires). */
  readonly content?: TaskContent;
  /** 报送: the outside bodies the step reports to, by unit id (OUTSIDE_REPORT_TASK_KINDS); dispatch checks they exist. */
  readonly sendTo?: readonly string[];
}
export interface ApproveInput {
  readonly actor: Actor;
  readonly taskKey: string;
  readonly role: Role;
  readonly comment?: string;
  /** The version of the written work being approved: it must be the current one (the approver read that text). */
  readonly version?: number;
}
/** The office adds a step the facts need (检验检测, 移送公安) to the running incident, with its deadline. */
export interface AddTaskInput {
  readonly actor: Actor;
  readonly kind: AddableTaskKind;
  /** A policy duration such as `24h`. */
  readonly deadline: string;
  readonly reason: string;
}
/** 退回: an approver sends the wording back, or the office sends back an unclear or inadequate report; it re-opens with its clock. */
export interface ReturnTaskInput {
  readonly actor: Actor;
  readonly taskKey: string;
  readonly reason: string;
}
export interface RecordReleaseInput {
  readonly actor: Actor;
  readonly form: ReleaseForm;
  readonly summary: string;
  readonly url?: string;
  /** The release channel used (website, Weibo, WeChat, news app…), by id. */
  readonly channel?: string;
  /** The approved talking points version the release used. */
  readonly talkingPointsVersion?: number;
}
export interface ReclassifyInput {
  readonly actor: Actor;
  readonly tier: Tier;
  readonly reason: string;
}
/**
 * A new report raised the assessment (intake re-assessed the incident's aggregate
 * metrics and flags): raise the tier to at least `tier`, never lower it.
 */
export interface ReassessInput {
  readonly actor: Actor;
  readonly tier: Tier;
  readonly reasons: readonly AssessmentReason[];
  /** The report that caused it. */
  readonly reportId: string;
  /** The reports behind it, this one first (those carrying the strongest rule most). */
  readonly reportIds?: readonly string[];
}
/**
 * The incident's spread per hour doubled within the window (intake saw it in the
 * aggregate): an alert to the opinion office, whatever the tier.
 */
export interface SurgeInput {
  readonly actor: Actor;
  readonly spreadPerHour: number;
  /** The lowest spread per hour within the window. */
  readonly baseline: number;
  /** The window, as the policy says it (`1h`). */
  readonly window: string;
  /** The reports of the window, newest first. */
  readonly reportIds: readonly string[];
}
/** The office merges this incident into another one, which carries on (the survivor). */
export interface MergeInput {
  readonly actor: Actor;
  readonly intoIncidentId: string;
  readonly reason: string;
}
/** The survivor's side of a merge: what the merged incident brings. */
export interface AbsorbInput {
  readonly actor: Actor;
  readonly fromIncidentId: string;
  readonly fromTier: Tier;
  readonly reason: string;
  readonly reportCount: number;
  /** The tasks the merged incident had done. */
  readonly tasksDone: readonly { readonly key: string; readonly kind: TaskKind; readonly doneAt?: string; readonly doneBy?: Actor }[];
  /** The survivor's assessment from all its reports now, when it calls for more than its tier. */
  readonly assessment?: { readonly tier: Tier; readonly reasons: readonly AssessmentReason[] };
}
/** The office moves reports out of this incident into a new one of their own. */
export interface SplitInput {
  readonly actor: Actor;
  readonly reportIds: readonly string[];
  /** Chosen by the caller, so a retried Update opens the same incident. */
  readonly newIncidentId: string;
  readonly reason: string;
}
/**
 * The office hands a unit's part to another unit (改派), on its own judgement or
 * confirming the unit's hand-off request. The original clock keeps running unless
 * the office grants a new one, with its reason.
 */
export interface ReassignInput {
  readonly actor: Actor;
  readonly fromUnitId: string;
  readonly to: Assignment;
  readonly reason: string;
  /** The receiving unit's district (a district bureau): the incident's district follows it. */
  readonly district?: DistrictCode;
  readonly newClockReason?: string;
}
/** 杜绝推诿 (plan §8(五)3): a unit says "not ours" and asks the office to hand its part on. */
export interface RequestHandOffInput {
  readonly actor: Actor;
  readonly unitId: string;
  readonly toUnitId?: string;
  readonly reason: string;
}
/** The office refuses a hand-off request: the unit keeps its part and its clock. */
export interface RefuseHandOffInput {
  readonly actor: Actor;
  readonly unitId: string;
  readonly reason: string;
}
/** After tracking, the leadership group decides follow-up talking points are needed (plan §7(三)). */
export interface RenewTalkingPointsInput {
  readonly actor: Actor;
  readonly reason: string;
}
export interface CloseInput {
  readonly actor: Actor;
  readonly reason: string;
  /** Close although mandatory tasks are open (they are cancelled, with the reason). */
  readonly force?: boolean;
}

/**
 * Human steps arrive as Updates: the validator rejects what the plan does not
 * allow (with an ApplicationFailure whose type maps to an HTTP status, see
 * `REJECTION`), the handler records it and answers with the new state.
 */
export const acknowledgeUpdate = defineUpdate<IncidentState, [AcknowledgeInput]>('acknowledge');
export const submitReportUpdate = defineUpdate<IncidentState, [SubmitReportInput]>('submitReport');
export const completeTaskUpdate = defineUpdate<IncidentState, [CompleteTaskInput]>('completeTask');
export const approveUpdate = defineUpdate<IncidentState, [ApproveInput]>('approve');
export const recordReleaseUpdate = defineUpdate<IncidentState, [RecordReleaseInput]>('recordRelease');
export const reclassifyUpdate = defineUpdate<IncidentState, [ReclassifyInput]>('reclassify');
export const reassignUpdate = defineUpdate<IncidentState, [ReassignInput]>('reassign');
export const requestHandOffUpdate = defineUpdate<IncidentState, [RequestHandOffInput]>('requestHandOff');
export const refuseHandOffUpdate = defineUpdate<IncidentState, [RefuseHandOffInput]>('refuseHandOff');
export const renewTalkingPointsUpdate = defineUpdate<IncidentState, [RenewTalkingPointsInput]>('renewTalkingPoints');
export const reassessUpdate = defineUpdate<IncidentState, [ReassessInput]>('reassess');
export const closeUpdate = defineUpdate<IncidentState, [CloseInput]>('close');
export const returnTaskUpdate = defineUpdate<IncidentState, [ReturnTaskInput]>('returnTask');
export const addTaskUpdate = defineUpdate<IncidentState, [AddTaskInput]>('addTask');
export const surgeUpdate = defineUpdate<IncidentState, [SurgeInput]>('surge');
export const mergeUpdate = defineUpdate<IncidentState, [MergeInput]>('merge');
export const absorbUpdate = defineUpdate<IncidentState, [AbsorbInput]>('absorb');
export const splitUpdate = defineUpdate<IncidentState, [SplitInput]>('split');

export const stateQuery = defineQuery<IncidentState>('state');

/**
 * Failure types of rejected updates, stable codes callers can rely on:
 * `conflict` → 409 (the incident is not in a state that allows it),
 * `not_found` → 404 (no such task or unit on this incident),
 * `invalid` → 422 (the input itself is wrong),
 * `forbidden` → 403 (the actor lacks the role),
 * `not_ready` → 503 with Retry-After (the incident is still being dispatched: the same step will be taken in a moment).
 */
export const REJECTION = {
  notReady: 'not_ready',
  conflict: 'conflict',
  notFound: 'not_found',
  invalid: 'invalid',
  forbidden: 'forbidden',
} as const;
export type RejectionType = (typeof REJECTION)[keyof typeof REJECTION];
