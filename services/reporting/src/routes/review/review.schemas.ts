import { z } from 'zod';
import { CONTENT_FIELDS, TIERS } from '@yuqing/shared';

/** The post-incident review 总结评估 (see review/review.ts). */
export const ReviewSchema = z.object({
  incidentId: z.string(),
  title: z.string(),
  tier: z.enum(TIERS),
  tierLabel: z.string(),
  topicLabel: z.string(),
  districtName: z.string().nullable(),
  statusLabel: z.string(),
  receivedAtLocal: z.string(),
  closedAtLocal: z.string().nullable(),
  closedReason: z.string().nullable(),
  /** 起因, 性质, 影响, 责任, 经验教训, in that order. */
  parts: z.array(z.object({ field: z.enum(CONTENT_FIELDS), label: z.string(), text: z.string().nullable() })),
  note: z.string().nullable(),
  by: z.string().nullable(),
  at: z.string(),
  atLocal: z.string(),
});
