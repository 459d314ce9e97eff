import { z } from 'zod';
import { INCIDENT_STATUSES, TIERS, toDistrictCode, TOPICS } from '@yuqing/shared';

/** A comma-separated list of codes, e.g. `tier=major,critical`. */
export function codeList<T extends readonly [string, ...string[]]>(codes: T) {
  return z
    .string()
    .max(500)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(codes)).min(1));
}

export const IncidentListQuery = z.strictObject({
  /** Comma-separated tiers, e.g. `major,critical`. */
  tier: codeList(TIERS).optional(),
  /** Comma-separated statuses, e.g. `received,handling`. */
  status: codeList(INCIDENT_STATUSES).optional(),
  /** A Harbin division code (`230103`) or name (`南岗区`). */
  district: z
    .string()
    .max(20)
    .transform((value, ctx) => {
      const code = toDistrictCode(value);
      if (!code) {
        ctx.addIssue({ code: 'custom', message: `unknown district "${value}": use a Harbin division code such as 230103 or a name such as 南岗区` });
        return z.NEVER;
      }
      return code;
    })
    .optional(),
  /** Comma-separated topics. */
  topic: codeList(TOPICS).optional(),
  /** Only incidents with (true) or without (false) a task past its deadline. */
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const IncidentLinksSchema = z.object({
  timeline: z.string(),
  archive: z.string(),
  digest: z.string(),
  digestHtml: z.string(),
  /** The incident's workflow in the Temporal Web UI. */
  temporalUi: z.string(),
});

export const IncidentViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  summary: z.string().nullable(),
  tier: z.enum(TIERS),
  tierLabel: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  statusLabel: z.string(),
  overdue: z.boolean(),
  topic: z.enum(TOPICS),
  topicLabel: z.string(),
  district: z.string().nullable(),
  districtName: z.string().nullable(),
  source: z.object({ url: z.string(), outlet: z.string().nullable(), platform: z.string().nullable(), detectedAt: z.string().nullable() }),
  metrics: z.record(z.string(), z.unknown()),
  flags: z.array(z.string()),
  policyVersion: z.string().nullable(),
  workflowId: z.string(),
  createdAt: z.string(),
  /** The same moment in Beijing time, for people. */
  createdAtLocal: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  archivedAt: z.string().nullable(),
  links: IncidentLinksSchema,
});

export const TaskViewSchema = z.object({
  key: z.string(),
  kind: z.string(),
  label: z.string(),
  ownerRole: z.string(),
  ownerLabel: z.string(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  status: z.string(),
  statusLabel: z.string(),
  mandatory: z.boolean(),
  round: z.number(),
  openedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  dueAtLocal: z.string().nullable(),
  doneAt: z.string().nullable(),
  overdue: z.boolean(),
  lapsedAt: z.string().nullable(),
  approvalsNeeded: z.array(z.string()),
  approvals: z.array(z.unknown()),
  cancelReason: z.string().nullable(),
  /** The workflow's sequence of this snapshot: of two snapshots of a task, the higher is newer. */
  seq: z.number(),
});

export const AlertViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  kindLabel: z.string(),
  taskKey: z.string(),
  taskKind: z.string(),
  taskLabel: z.string(),
  stage: z.number().nullable(),
  accountableRole: z.string(),
  accountableRoleLabel: z.string(),
  accountableUnitId: z.string().nullable(),
  accountableUnitName: z.string().nullable(),
  notified: z.array(z.unknown()),
  dueAt: z.string(),
  raisedAt: z.string(),
  raisedAtLocal: z.string(),
  lateMs: z.number(),
  resolvedAt: z.string().nullable(),
});

export const IncidentListItemSchema = IncidentViewSchema.extend({
  /** Open tasks, nearest deadline first. */
  openTasks: z.array(TaskViewSchema),
  /** The nearest deadline among the open tasks (null: none has one). */
  nextDeadline: TaskViewSchema.nullable(),
  /**
   * The newest task sequence in the read model for this incident: a live task
   * snapshot with a higher `seq` is newer than what this list shows.
   */
  tasksSeq: z.number(),
});

export const IncidentListSchema = z.object({
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
  items: z.array(IncidentListItemSchema),
});
