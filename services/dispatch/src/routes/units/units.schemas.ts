import { z } from 'zod';
import { DISTRICT_CODES, requiredText, TimeInputSchema, UNIT_KINDS } from '@yuqing/shared';
import { PersonViewSchema } from '../persons/persons.schemas';

const districtCode = z.enum(DISTRICT_CODES);
const iso = TimeInputSchema;

export const UnitId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, e.g. station-230103-3');
export const UnitParams = z.object({ id: z.string().min(1).max(100) });
export const ShiftParams = UnitParams.extend({ shiftId: z.string().regex(/^[0-9]{1,18}$/, 'a shift id') });

export const UnitListQuery = z.strictObject({
  kind: z.enum(UNIT_KINDS).optional(),
  district: districtCode.optional(),
  parent: z.string().max(100).optional(),
});

export const CreateUnitBody = z.strictObject({
  id: UnitId,
  kind: z.enum(UNIT_KINDS),
  name: requiredText(200),
  /** A station (所) belongs to its district bureau. */
  parentId: z.string().max(100).optional(),
  /** Required for a district bureau; a station takes its bureau's. */
  districtCode: districtCode.optional(),
});

export const UpdateUnitBody = z
  .strictObject({
    name: requiredText(200).optional(),
    parentId: z.string().max(100).nullable().optional(),
    districtCode: districtCode.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const UnitViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  kindLabel: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  districtCode: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const UnitListSchema = z.object({ items: z.array(UnitViewSchema) });

export const OnDutySchema = z.object({
  personId: z.string(),
  name: z.string(),
  title: z.string().nullable(),
  /** `roster`: a shift covers now; `standing`: marked on 24-hour duty, no shift covers now. */
  via: z.enum(['roster', 'standing']),
  until: z.string().optional(),
});

export const UnitDetailSchema = UnitViewSchema.extend({
  children: z.array(UnitViewSchema),
  persons: z.array(PersonViewSchema),
  onDuty: z.array(OnDutySchema),
});

export const ShiftBody = z
  .strictObject({
    personId: z.string().min(1).max(100),
    startsAt: iso,
    endsAt: iso,
    note: z.string().trim().max(500).optional(),
  })
  .refine((s) => Date.parse(s.endsAt) > Date.parse(s.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] })
  .refine((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) <= 31 * 86_400_000, { message: 'a shift lasts at most 31 days', path: ['endsAt'] });

export const ShiftViewSchema = z.object({
  id: z.string(),
  unitId: z.string(),
  personId: z.string(),
  personName: z.string().optional(),
  startsAt: z.string(),
  endsAt: z.string(),
  note: z.string().nullable(),
  createdBy: z.string(),
});

export const DutySchema = z.object({ unitId: z.string(), onDuty: z.array(OnDutySchema), shifts: z.array(ShiftViewSchema) });
