import { z } from 'zod';
import {
  ASSIGNEE_ROLES,
  CHAIN_ACTIONS,
  CHANNEL_KINDS,
  CONTENT_FIELDS,
  DISPOSITIONS,
  FLAGS,
  RELEASE_FORMS,
  REPORT_KINDS,
  ROLES,
  TASK_KINDS,
  TIERS,
  TOPICS,
} from '../domain/vocabulary';
import { ActorSchema, ApprovalSchema, AssignmentSchema, TaskSnapshotSchema } from '../task/task.schema';
import { optionalText, requiredText } from '../schemas/text.schema';
import { EVENT_TYPES } from './event-types';

/**
 * The data of each event type. Publisher (activities) and consumers (dispatch,
 * reporting) validate with these same schemas. Any event may carry `tasks`: the
 * tasks whose state the event changed, newest snapshot each.
 */
const isoTime = z.iso.datetime({ offset: true });

const base = { actor: ActorSchema.optional(), tasks: z.array(TaskSnapshotSchema).optional() };

/** The answers to the plan's three investigation questions (§6.1). */
export const FindingsSchema = z.strictObject({
  /** Is the report true? `partly` and `unknown` are honest interim answers. */
  truth: z.enum(['true', 'partly', 'false', 'unknown']),
  whatHappened: requiredText(10_000),
  dutyFailure: z.strictObject({ found: z.boolean(), detail: optionalText(5_000).optional() }),
  violation: z.strictObject({ found: z.boolean(), detail: optionalText(5_000).optional() }),
});
export type Findings = z.infer<typeof FindingsSchema>;

export const AttachmentSchema = z.strictObject({
  title: requiredText(200),
  url: z.url({ protocol: /^https?$/ }).max(2_000),
});

export const ReportSchema = z.strictObject({
  kind: z.enum(REPORT_KINDS),
  findings: FindingsSchema,
  dispositions: z.array(z.enum(DISPOSITIONS)).max(DISPOSITIONS.length),
  measures: optionalText(10_000).optional(),
  result: optionalText(10_000).optional(),
  attachments: z.array(AttachmentSchema).max(20).default([]),
});
export type Report = z.infer<typeof ReportSchema>;

export const SourceSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2_000),
  platform: optionalText(100).optional(),
  outlet: optionalText(200).optional(),
  detectedAt: isoTime.optional(),
  externalId: requiredText(200).optional(),
});

export type Source = z.infer<typeof SourceSchema>;

export const MetricsSchema = z.strictObject({
  reportCount: z.number().int().min(0).max(1e12).optional(),
  reach: z.number().int().min(0).max(1e12).optional(),
  spreadPerHour: z.number().min(0).max(1e12).optional(),
  negativeRatio: z.number().min(0).max(1).optional(),
  importantMedia: z.boolean().optional(),
});

const recipient = z.strictObject({ role: z.enum(ROLES), unitId: z.string().max(100).optional() });

export const EVENT_DATA = {
  received: z.strictObject({
    ...base,
    title: z.string(),
    summary: z.string().optional(),
    source: SourceSchema,
    topic: z.enum(TOPICS),
    district: z.string().optional(),
    metrics: MetricsSchema,
    flags: z.array(z.enum(FLAGS)),
    receivedAt: isoTime,
    clientId: z.string(),
  }),
  assessed: z.strictObject({
    ...base,
    reasons: z.array(z.strictObject({ rule: z.string(), tier: z.enum(TIERS) })),
    policyVersion: z.string(),
    lead: z.enum(['district', 'city']),
  }),
  dispatched: z.strictObject({
    ...base,
    reason: z.enum(['initial', 'tier_changed', 'reassigned']),
    assignments: z.array(AssignmentSchema),
    /** Roles that receive the link besides the assigned units. */
    notify: z.array(z.enum(ROLES)),
    title: z.string(),
    link: z.string(),
  }),
  acknowledged: z.strictObject({ ...base, unitId: z.string() }),
  report_submitted: z.strictObject({ ...base, unitId: z.string(), report: ReportSchema }),
  digest_ready: z.strictObject({ ...base, text: z.string(), proposal: z.string().optional() }),
  approval_recorded: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    approval: ApprovalSchema,
    /** True once every required role has approved. */
    complete: z.boolean(),
    /** The version of the written work approved (talking points, response plan). */
    version: z.number().int().min(1).optional(),
  }),
  task_completed: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    note: z.string().optional(),
    url: z.string().optional(),
    /** What the step records (TASK_CONTENT): the facts, the text, the review's five parts… */
    content: z.partialRecord(z.enum(CONTENT_FIELDS), z.string()).optional(),
    /** For written work that is approved (talking points, the response plan): which version this is. */
    version: z.number().int().min(1).optional(),
    /** 报送: the outside bodies (units of kind `outside`) the step reported to; dispatch sends to their channels. */
    sendTo: z.array(z.string().min(1).max(100)).optional(),
  }),
  task_added: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    unitId: z.string().optional(),
    /** Why the facts need it (suspected crime, a test result needed…). */
    reason: z.string(),
  }),
  task_returned: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    /** Why it goes back (unclear, inadequate, wording not approved…). */
    reason: z.string(),
  }),
  released: z.strictObject({
    ...base,
    form: z.enum(RELEASE_FORMS),
    summary: z.string(),
    url: z.string().optional(),
    /** Where it was published (one of the bureau's release channels, by id). */
    channel: z.string().optional(),
    /** The approved talking points version it used. */
    talkingPointsVersion: z.number().int().min(1).optional(),
    /** The approvals of the talking points this release rests on. */
    approvals: z.array(ApprovalSchema),
  }),
  tier_changed: z.strictObject({
    ...base,
    from: z.enum(TIERS),
    to: z.enum(TIERS),
    reason: z.string(),
  }),
  reassigned: z.strictObject({
    ...base,
    fromUnitId: z.string(),
    toUnitId: z.string(),
    reason: z.string(),
    /** The incident's district now, when the hand-off moved it to another district's bureau. */
    district: z.string().optional(),
    /** The office granted the receiving unit a new clock (why); absent: the original clock keeps running. */
    newClockReason: z.string().optional(),
  }),
  /** 杜绝推诿 (plan §8(五)3): a unit says "not ours"; the opinion office confirms (reassigned) or refuses. */
  hand_off_requested: z.strictObject({
    ...base,
    unitId: z.string(),
    /** The unit it proposes, if it knows one. */
    toUnitId: z.string().optional(),
    reason: z.string(),
    taskKey: z.string(),
  }),
  hand_off_refused: z.strictObject({ ...base, unitId: z.string(), role: z.enum(ASSIGNEE_ROLES), reason: z.string(), taskKey: z.string() }),
  /** The leadership group decided, after tracking, that follow-up talking points are needed (plan §7(三)). */
  talking_points_renewed: z.strictObject({ ...base, reason: z.string() }),
  deadline_lapsed: z.preprocess(
    // Events recorded before 2026-12-01 called the task's owner `accountable`.
    (d) =>
      d && typeof d === 'object' && 'accountable' in d && !('owner' in d)
        ? (({ accountable, ...rest }: Record<string, unknown>) => ({ ...rest, owner: accountable }))(d as Record<string, unknown>)
        : d,
    z.strictObject({
      ...base,
      taskKey: z.string(),
      taskKind: z.enum(TASK_KINDS),
      /** The task's owner, whose deadline lapsed. */
      owner: recipient,
      dueAt: isoTime,
      lapsedAt: isoTime,
      /** How late the alert fired after the deadline (timer and scheduling delay). */
      lateMs: z.number().int(),
    }),
  ),
  reminder_sent: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    to: z.array(recipient),
    dueAt: isoTime,
    /** `before_deadline` for the advance warning, else the chain link index. */
    stage: z.union([z.literal('before_deadline'), z.number().int().min(0)]),
  }),
  escalated: z.strictObject({
    ...base,
    taskKey: z.string(),
    taskKind: z.enum(TASK_KINDS),
    action: z.enum(CHAIN_ACTIONS),
    to: z.array(recipient),
    dueAt: isoTime,
    stage: z.number().int().min(0),
    overdueMs: z.number().int(),
  }),
  closed: z.strictObject({ ...base, reason: z.string(), forced: z.boolean() }),
  /**
   * The incident's spread per hour doubled within the window (issue 15): an alert to
   * the opinion office, whatever the tier. `reportIds`: the reports of the window
   * that carried it, newest first.
   */
  surge: z.strictObject({
    ...base,
    spreadPerHour: z.number().min(0),
    /** The lowest spread per hour within the window, which it has at least doubled. */
    baseline: z.number().min(0),
    window: z.string(),
    reportIds: z.array(z.string()).max(20),
  }),
  /** This incident was merged into another one, which carries on: its reports moved there, its open tasks were covered by the survivor's. */
  merged: z.strictObject({ ...base, intoIncidentId: z.string(), reason: z.string(), reportCount: z.number().int().min(0) }),
  /** Another incident was merged into this one: its reports, its tier if higher, and what its units had already done. */
  absorbed: z.strictObject({
    ...base,
    fromIncidentId: z.string(),
    fromTier: z.enum(TIERS),
    reason: z.string(),
    reportCount: z.number().int().min(0),
    /** Tasks the merged incident had done, as they were. */
    tasksDone: z.array(z.strictObject({ key: z.string(), kind: z.enum(TASK_KINDS), doneAt: isoTime.optional(), doneBy: ActorSchema.optional() })),
  }),
  /** Reports were moved out of this incident into a new one of their own. */
  split: z.strictObject({ ...base, newIncidentId: z.string(), reportIds: z.array(z.string()).min(1), reason: z.string() }),
  archived: z.strictObject({ ...base }),
  /**
   * A notification about another event reached its recipient, or gave up after its
   * retries (a dead letter an operator can retry). Names only: never an address,
   * phone number, webhook URL or secret.
   */
  notified: z.strictObject({
    ...base,
    deliveryId: z.string().min(1).max(100),
    /** The event the message was about. */
    cause: z.strictObject({ eventId: z.string().min(1).max(300), type: z.enum(EVENT_TYPES) }),
    channel: z.enum(CHANNEL_KINDS),
    /** The unit it was for, and the person when it went to a person's own channel. */
    to: z.strictObject({ unitId: z.string().max(100), personId: z.string().max(100).optional(), personName: z.string().max(200).optional() }),
    /** The roles the message reached them as. */
    roles: z.array(z.enum(ROLES)),
    outcome: z.enum(['delivered', 'failed']),
    attempts: z.number().int().min(1),
    /** From the event that caused it to the receiver's acknowledgement (delivered only). */
    latencyMs: z.number().int().min(0).optional(),
    /** Why it failed, coarsely (`HTTP 503`, `timeout`). */
    reason: z.string().max(200).optional(),
    /** A message that carried written work on (签转, 报送): the step it came from and the version sent. */
    forwarded: z.strictObject({ taskKind: z.enum(TASK_KINDS), version: z.number().int().min(1).optional() }).optional(),
  }),
} as const;

export type EventDataMap = { [K in keyof typeof EVENT_DATA]: z.infer<(typeof EVENT_DATA)[K]> };
export type Recipient = z.infer<typeof recipient>;
