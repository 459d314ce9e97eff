import { z } from 'zod';
import {
  ADDABLE_TASK_KINDS,
  CONTENT_FIELDS,
  DurationSchema,
  IncidentIdSchema,
  IncidentStateSchema,
  optionalText,
  RELEASE_FORMS,
  ReportSchema,
  requiredText,
  ROLES,
  TIERS,
} from '@yuqing/shared';

/** Bodies of the human steps; each is forwarded to the workflow as an Update. */
export const IncidentParams = z.object({ id: IncidentIdSchema });
export const TaskParams = IncidentParams.extend({ taskKey: z.string().min(1).max(200) });

/**
 * 代办: the opinion office takes another unit's step, saying why. Recorded with the
 * step and shown in the timeline; never for decisions and approvals.
 */
export const ProxySchema = z.strictObject({ reason: requiredText(2_000) });

export const AcknowledgeBody = z.strictObject({
  /** Defaults to the caller's own unit; another unit only with `proxy`. */
  unitId: z.string().max(100).optional(),
  proxy: ProxySchema.optional(),
});

export const ReportBody = ReportSchema.extend({ unitId: z.string().max(100).optional(), proxy: ProxySchema.optional() });

export const CompleteTaskBody = z.strictObject({
  /** The record: digest text, meeting minutes, guidance given, assessment of the trend… */
  note: optionalText(20_000).optional(),
  /** For the digest (摘报): the proposed handling (拟办意见). */
  proposal: optionalText(5_000).optional(),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .optional(),
  /** What the step records, by field: `facts` for the talking-points draft, `text` for the wording, the review's five parts… (TASK_CONTENT). */
  content: z.partialRecord(z.enum(CONTENT_FIELDS), optionalText(20_000)).optional(),
  /**
   * 报送: the outside bodies the step reports to, by directory unit id (units of kind `outside`:
   * `ext-propaganda`, `ext-cyberspace-office`, `ext-provincial-bureau`…). Required for
   * `talking_points_reported` and `report_upward`, refused for other steps; dispatch sends
   * what was reported to each body's channels.
   */
  sendTo: z.array(z.string().min(1).max(100)).max(20).optional(),
  proxy: ProxySchema.optional(),
});

/**
 * The state after the step, and what the office should know: a body reported to
 * that has no channel (the step is recorded; it must be sent another way).
 */
export const CompleteTaskAnswerSchema = IncidentStateSchema.extend({
  warnings: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
});

export const ApproveBody = z.strictObject({
  role: z.enum(ROLES),
  comment: optionalText(2_000).optional(),
  /** The version of the written work approved (talking points, response plan); required where there is one. */
  version: z.number().int().min(1).optional(),
});

/** A step the facts need, added by the office: 检验检测 or 移送公安, with its deadline and why. */
export const AddTaskBody = z.strictObject({
  kind: z.enum(ADDABLE_TASK_KINDS),
  deadline: DurationSchema,
  reason: requiredText(2_000),
});

/** 退回: written work back to its author, or a report back to its unit, with the reason. */
export const ReturnBody = z.strictObject({ reason: requiredText(2_000) });

export const ReleaseBody = z.strictObject({
  form: z.enum(RELEASE_FORMS),
  summary: requiredText(5_000),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .optional(),
  /** The release channel used (门户网站, 官方微博, 微信公众号, 新闻客户端…), by id. */
  channel: requiredText(100),
  /** The approved talking points version used; required once talking points are approved. */
  talkingPointsVersion: z.number().int().min(1).optional(),
});

export const ReclassifyBody = z.strictObject({ tier: z.enum(TIERS), reason: requiredText(2_000) });

export const ReassignBody = z.strictObject({
  fromUnitId: z.string().min(1).max(100),
  toUnitId: z.string().min(1).max(100),
  reason: requiredText(2_000),
  /** The office grants the receiving unit a new clock, and says why; without it the original clock keeps running. */
  newClockReason: requiredText(2_000).optional(),
});

/** 申请移交: the caller's unit says "not ours", optionally naming the unit it belongs to; the office decides. */
export const HandOffBody = z.strictObject({
  toUnitId: z.string().min(1).max(100).optional(),
  reason: requiredText(2_000),
});

/** The office refuses a unit's hand-off request: the unit keeps its part and its clock. */
export const RefuseHandOffBody = z.strictObject({
  unitId: z.string().min(1).max(100),
  reason: requiredText(2_000),
});

/** 会商决定准备后续口径 (plan §7(三)): the leadership group's decision, with its reasons. */
export const RenewTalkingPointsBody = z.strictObject({ reason: requiredText(2_000) });

/** 合并: this incident goes into another one, which carries on (issue 15). */
export const MergeBody = z.strictObject({ intoIncidentId: IncidentIdSchema, reason: requiredText(2_000) });

/** 拆分: these reports of the incident become an incident of their own. */
export const SplitBody = z.strictObject({
  reportIds: z
    .array(z.uuid())
    .min(1)
    .max(1_000)
    .refine((ids) => new Set(ids).size === ids.length, 'each report at most once'),
  reason: requiredText(2_000),
});

export const CloseBody = z.strictObject({
  reason: requiredText(2_000),
  /** Close although mandatory tasks are open; they are cancelled with the reason. */
  force: z.boolean().optional(),
});

export const UpdateHeaders = z.object({
  /**
   * Retrying with the same key applies the step once; the key is yours per incident
   * and action, and reusing it with a different body is refused (422).
   */
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/)
    .optional(),
});

/** The workflow's answer: the incident as it stands after the step. */
export { IncidentStateSchema } from '@yuqing/shared';

/** The split incident's state, and the incident the reports now belong to. */
export const SplitAnswerSchema = IncidentStateSchema.extend({ newIncidentId: z.uuid() });
