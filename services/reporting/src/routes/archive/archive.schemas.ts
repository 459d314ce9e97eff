import { z } from 'zod';
import { FOUR_FIRSTS } from '@yuqing/shared';
import { DigestSchema } from '../digest/digest.schemas';
import { AlertViewSchema, IncidentViewSchema, TaskViewSchema } from '../incidents/incidents.schemas';
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
      approvals: z.array(z.object({ role: z.string(), roleLabel: z.string(), actor: ActorView, at: z.string() })),
      actor: ActorView.nullable(),
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
