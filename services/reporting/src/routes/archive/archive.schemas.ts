import { z } from 'zod';
import { FOUR_FIRSTS } from '@yuqing/shared';
import { DigestSchema } from '../digest/digest.schemas';
import { AlertViewSchema, IncidentViewSchema, TaskViewSchema } from '../incidents/incidents.schemas';
import { ReviewSchema } from '../review/review.schemas';
import { TimelineEntrySchema } from '../timeline/timeline.schemas';

const ActorView = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string().optional(),
  unitId: z.string().optional(),
  roles: z.array(z.string()).optional(),
});

/** The archive record (档案) of one incident: see archive/archive.ts. */
export const ArchiveSchema = z.object({
  incident: IncidentViewSchema,
  timeline: z.array(TimelineEntrySchema),
  tasks: z.array(TaskViewSchema),
  /** Every version of the talking points' wording and of the response plan, with who wrote it and when. */
  writings: z.array(
    z.object({
      eventId: z.string(),
      taskKey: z.string(),
      taskKind: z.string(),
      taskLabel: z.string(),
      version: z.number().int().nullable(),
      content: z.array(z.object({ field: z.string(), label: z.string(), text: z.string() })),
      note: z.string().nullable(),
      actor: ActorView.nullable(),
      by: z.string().nullable(),
      at: z.string(),
      atLocal: z.string(),
    }),
  ),
  /** Work sent back to its author, and why. */
  returns: z.array(
    z.object({
      eventId: z.string(),
      taskKey: z.string(),
      taskKind: z.string(),
      taskLabel: z.string(),
      reason: z.string(),
      by: z.string().nullable(),
      at: z.string(),
      atLocal: z.string(),
    }),
  ),
  alerts: z.array(AlertViewSchema),
  approvals: z.array(
    z.object({
      eventId: z.string(),
      taskKey: z.string(),
      taskKind: z.string(),
      taskLabel: z.string(),
      role: z.string(),
      roleLabel: z.string(),
      actor: ActorView,
      by: z.string().nullable(),
      version: z.number().int().nullable(),
      at: z.string(),
      atLocal: z.string(),
      comment: z.string().nullable(),
      complete: z.boolean(),
    }),
  ),
  releases: z.array(
    z.object({
      eventId: z.string(),
      form: z.string(),
      formLabel: z.string(),
      summary: z.string(),
      url: z.string().nullable(),
      channel: z.string().nullable(),
      channelName: z.string().nullable(),
      talkingPointsVersion: z.number().int().nullable(),
      approvals: z.array(z.object({ role: z.string(), roleLabel: z.string(), actor: ActorView, by: z.string().nullable(), at: z.string() })),
      actor: ActorView.nullable(),
      by: z.string().nullable(),
      at: z.string(),
      atLocal: z.string(),
    }),
  ),
  reports: z.array(
    z.object({
      eventId: z.string(),
      unitId: z.string(),
      unitName: z.string().nullable(),
      kind: z.string(),
      kindLabel: z.string(),
      findings: z.unknown(),
      dispositions: z.array(z.object({ code: z.string(), label: z.string() })),
      measures: z.string().nullable(),
      result: z.string().nullable(),
      at: z.string(),
      atLocal: z.string(),
    }),
  ),
  digest: DigestSchema.nullable(),
  review: ReviewSchema.nullable(),
  /** Delays from intake to each of the four firsts (null: not reached, or not on this tier's path). */
  fourFirsts: z
    .object({
      procedureBasis: z.enum(['emergency_procedure', 'acknowledge']),
      delaysMs: z.object(
        Object.fromEntries(FOUR_FIRSTS.map((f) => [f, z.number().nullable()])) as Record<(typeof FOUR_FIRSTS)[number], z.ZodNullable<z.ZodNumber>>,
      ),
    })
    .nullable(),
  generatedAt: z.string(),
});
