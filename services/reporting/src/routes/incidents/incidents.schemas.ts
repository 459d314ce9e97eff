import { z } from 'zod';
import { INCIDENT_SORTS } from '../../incidents/incident.repository';
import {
  AlertViewSchema,
  IncidentViewSchema as SharedIncidentViewSchema,
  INCIDENT_STATUSES,
  TaskViewSchema,
  TIERS,
  toDistrictCode,
  TOPICS,
} from '@yuqing/shared';

/** A comma-separated list of codes, e.g. `tier=major,critical`. */
export function codeList<T extends readonly [string, ...string[]]>(codes: T) {
  return z
    .string()
    .max(500)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
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
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  /**
   * `newest` (default): newest first. `urgency`: the duty view's order, incidents
   * with a lapsed open task first, then the nearest open deadline, none last.
   */
  sort: z.enum(INCIDENT_SORTS).default('newest'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const IncidentLinksSchema = z.object({
  timeline: z.string(),
  archive: z.string(),
  digest: z.string(),
  digestHtml: z.string(),
  /** The printable documents (PDF with Chinese fonts); the review's exist once it is written. */
  digestPdf: z.string(),
  archivePdf: z.string(),
  review: z.string(),
  reviewPdf: z.string(),
  /** The incident's workflow in the Temporal Web UI. */
  temporalUi: z.string(),
});

/** An incident as every API shows it (shared), with reporting's links. */
export const IncidentViewSchema = SharedIncidentViewSchema.extend({ links: IncidentLinksSchema });

export { AlertViewSchema, TaskViewSchema };

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
