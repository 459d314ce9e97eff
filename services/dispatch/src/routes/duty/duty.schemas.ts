import { z } from 'zod';
import { OnDutySchema, ShiftViewSchema } from '../units/units.schemas';

export const DutyRosterQuery = z.strictObject({
  /** One unit (with its stations); without it, every unit the caller may see: all for the office and leaders, else its own. */
  unit: z.string().max(100).optional(),
  /** How far ahead the roster goes, in days. */
  days: z.coerce.number().int().min(1).max(31).default(7),
});

export const DutyRosterSchema = z.object({
  /** The moment "on duty now" refers to. */
  asOf: z.string(),
  /** The roster's horizon: shifts starting before it are listed. */
  until: z.string(),
  items: z.array(
    z.object({
      unitId: z.string(),
      unitName: z.string(),
      unitKind: z.string(),
      unitKindLabel: z.string(),
      parentId: z.string().nullable(),
      districtCode: z.string().nullable(),
      onDuty: z.array(OnDutySchema),
      shifts: z.array(ShiftViewSchema),
    }),
  ),
});
