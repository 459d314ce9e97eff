import { z } from 'zod';
import { ACCOUNTABILITY_CAUSES, ACCOUNTABILITY_OUTCOMES, ANSWERABLE_VIA, IncidentIdSchema, requiredText, TimeInputSchema } from '@yuqing/shared';

export const AccountabilityQuery = z
  .strictObject({
    /** One unit's records; without it the caller's reach: every unit for the office and leaders, else the caller's own unit. */
    unit: z.string().min(1).max(100).optional(),
    /** The period in which the lapse or escalation happened, `[from, to)`. */
    from: TimeInputSchema.optional(),
    to: TimeInputSchema.optional(),
    /** `pending`: the office has recorded no outcome yet. */
    outcome: z.enum(['pending', ...ACCOUNTABILITY_OUTCOMES]).optional(),
    incident: IncidentIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(5_000).default(500),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && Date.parse(q.to) <= Date.parse(q.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
  });

export const AccountabilityParams = z.object({ id: z.string().min(1).max(300) });

export const OutcomeBody = z.strictObject({
  /** 约谈 (`talk`), 通报 (`circular`) or 免责 (`exempt`). */
  outcome: z.enum(ACCOUNTABILITY_OUTCOMES),
  /** Why: what was found, what was decided. */
  note: requiredText(2_000),
});

export const AccountabilityViewSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  incidentTitle: z.string().nullable(),
  /** `deadline_lapsed` (超时) or `escalated` (督办升级). */
  cause: z.enum(ACCOUNTABILITY_CAUSES),
  causeLabel: z.string(),
  taskKey: z.string(),
  taskKind: z.string(),
  taskLabel: z.string(),
  /** The escalation's link in the chain; null for a lapse. */
  stage: z.number().nullable(),
  owner: z.string().nullable(),
  ownerLabel: z.string().nullable(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  dueAt: z.string(),
  dueAtLocal: z.string(),
  occurredAt: z.string(),
  occurredAtLocal: z.string(),
  /** How late the task was when this was recorded. */
  overdueMs: z.number(),
  /** When the late task was done at last; null while it is still open. */
  resolvedAt: z.string().nullable(),
  /** How late it was in all: until it was done, or until now. */
  lateMs: z.number(),
  lateText: z.string(),
  /** Who answered for the unit then: the duty roster, standing duty, else its information officer. Empty when unknown. */
  onDuty: z.array(z.object({ personId: z.string(), name: z.string(), via: z.enum(ANSWERABLE_VIA), viaLabel: z.string() })),
  outcome: z
    .object({
      code: z.enum(ACCOUNTABILITY_OUTCOMES),
      label: z.string(),
      note: z.string(),
      by: z.object({ id: z.string(), kind: z.string(), name: z.string().optional(), unitId: z.string().optional() }),
      at: z.string(),
      atLocal: z.string(),
    })
    .nullable(),
});

export const AccountabilityListSchema = z.object({
  items: z.array(AccountabilityViewSchema),
  /** Counts of the listed records by outcome (`pending`: none recorded yet). */
  byOutcome: z.record(z.string(), z.number()),
});
