import { z } from 'zod';
import { DURATION_PATTERN } from '../domain/durations';
import { CHAIN_ACTIONS, DISTRICT_CODES, ROLES, TASK_KINDS, TASK_PHASES, TIERS } from '../domain/vocabulary';

/**
 * The escalation policy: per tier, which tasks run, who owns each, its deadline and
 * the reminder/escalation chain when the deadline lapses. Stored as versioned data
 * (table `policies`); a workflow snapshots the resolved policy when it starts.
 */
export const DurationSchema = z.string().regex(DURATION_PATTERN, 'a duration such as "30m", "4h", "2s" or "7d"');

export const RoleSchema = z.enum(ROLES);
export const TaskKindSchema = z.enum(TASK_KINDS);
export const TierSchema = z.enum(TIERS);

/** One link of a chain: `after` is measured from the lapsed deadline. */
export const ChainStepSchema = z.strictObject({
  after: DurationSchema,
  action: z.enum(CHAIN_ACTIONS),
  /** Roles to reach; `owner` is the task's own owner (for unit tasks, that unit). */
  notify: z.array(z.union([RoleSchema, z.literal('owner')])).min(1),
});

export const TaskPolicySchema = z.strictObject({
  kind: TaskKindSchema,
  /** Owner role; tasks done per assigned unit (acknowledge, report) ignore it. */
  owner: RoleSchema,
  /** Time allowed from the moment the task opens; none means no clock. */
  deadline: DurationSchema.optional(),
  /** The task opens once these tasks (those present in the incident) are done. */
  after: z.array(TaskKindSchema).default([]),
  /** These tasks must be done before this one can be completed (e.g. approval before release). */
  requires: z.array(TaskKindSchema).default([]),
  /** Roles whose approval completes the task (e.g. leader in charge and principal leader). */
  approvals: z.array(RoleSchema).default([]),
  /** A reminder to the owner this long before the deadline (e.g. 1 h before the 4 h release). */
  warnBefore: DurationSchema.optional(),
  /** Once done, the task opens again with a fresh deadline of this length (periodic releases). */
  repeat: DurationSchema.optional(),
  /** A mandatory task must be done before the incident can be closed. */
  mandatory: z.boolean().default(true),
  /** `closing` tasks open when the incident is closed (the post-incident review). */
  phase: z.enum(TASK_PHASES).default('handling'),
  chain: z.array(ChainStepSchema).default([]),
  /** Only on an incident whose tier rests on the reporter's suggestion alone (the group's confirmation of it). */
  onlyWhen: z.enum(['tier_suggested_only']).optional(),
});

export const TierPolicySchema = z.strictObject({
  /** general/sensitive: the district leads; major/critical: the city bureau steps in (plan §5). */
  lead: z.enum(['district', 'city']),
  /** general: the department *or* the district bureau gets the warning; sensitive and up: both. */
  assign: z.enum(['department_or_district', 'department_and_district']),
  /** Who receives the link at dispatch besides the assigned units. */
  notify: z.array(RoleSchema).default([]),
  tasks: z.array(TaskPolicySchema).min(1),
});

/**
 * How reports are folded into incidents (issue 15): city-wide, read by intake from
 * the newest city policy. Policies stored before it get the defaults.
 */
export const CorrelationPolicySchema = z.strictObject({
  /** A report joins by its text an incident whose last report is at most this old. */
  window: DurationSchema.default('72h'),
  /** Text similarity (0–1, shared/src/correlation/text-similarity.ts) at which a report joins. */
  textThreshold: z.number().min(0.3).max(1).default(0.55),
  /** Spread per hour is summed over the sources seen within this sliding window; a surge is a doubling within it. */
  spreadWindow: DurationSchema.default('1h'),
  /** A surge needs at least this spread per hour (1 → 2 is no surge). */
  surgeFloor: z.number().min(0).default(10),
});
export const DEFAULT_CORRELATION_POLICY = CorrelationPolicySchema.parse({});

export const PolicyDocumentSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    tiers: z.strictObject({
      general: TierPolicySchema,
      sensitive: TierPolicySchema,
      major: TierPolicySchema,
      critical: TierPolicySchema,
    }),
    correlation: CorrelationPolicySchema.default(DEFAULT_CORRELATION_POLICY),
  })
  .superRefine((doc, ctx) => {
    for (const tier of TIERS) {
      const kinds = doc.tiers[tier].tasks.map((t) => t.kind);
      kinds.forEach((kind, i) => {
        if (kinds.indexOf(kind) !== i) {
          ctx.addIssue({ code: 'custom', path: ['tiers', tier, 'tasks', i, 'kind'], message: `task ${kind} appears twice` });
        }
      });
    }
  });

/**
 * A district's local plan (plan §2.4): overrides of deadlines, chains and
 * mandatory flags for tasks the city policy already defines.
 */
export const TaskOverrideSchema = z.strictObject({
  deadline: DurationSchema.optional(),
  chain: z.array(ChainStepSchema).optional(),
  mandatory: z.boolean().optional(),
});
export const DistrictOverrideSchema = z.strictObject({
  name: z.string().min(1).max(200),
  tiers: z.partialRecord(TierSchema, z.partialRecord(TaskKindSchema, TaskOverrideSchema)),
});

/** `city`, or a district code for that district's local plan. */
export const PolicyScopeSchema = z.union([z.literal('city'), z.enum(DISTRICT_CODES)]);
export type PolicyScope = z.infer<typeof PolicyScopeSchema>;

export type ChainStep = z.infer<typeof ChainStepSchema>;
export type TaskPolicy = z.infer<typeof TaskPolicySchema>;
export type TierPolicy = z.infer<typeof TierPolicySchema>;
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;
export type CorrelationPolicy = z.infer<typeof CorrelationPolicySchema>;
export type PolicyDocumentInput = z.input<typeof PolicyDocumentSchema>;
export type DistrictOverride = z.infer<typeof DistrictOverrideSchema>;

/** What a workflow keeps: the policy resolved for its district, with versions. */
export interface PolicySnapshot {
  /** e.g. `city@3` or `city@3+230103@1`. */
  readonly version: string;
  readonly document: PolicyDocument;
}
