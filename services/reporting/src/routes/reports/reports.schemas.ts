import { z } from 'zod';
import { IncidentIdSchema } from '@yuqing/shared';

export const IncidentParams = z.object({ id: IncidentIdSchema });

/** One report (a sighting) of an incident, as the office reads it before splitting some out. */
export const IncidentReportSchema = z.object({
  id: z.string(),
  receivedAt: z.string(),
  /** `opened`, `joined` or `reassessed`: what this report did to the incident when it came. */
  outcome: z.string(),
  outcomeLabel: z.string(),
  /** The rule that tied it to the incident, and its score (1 for a key or a URL). */
  matchRule: z.string(),
  matchRuleLabel: z.string(),
  matchScore: z.number(),
  title: z.string(),
  summary: z.string().nullable(),
  source: z.object({ url: z.string(), platform: z.string().optional(), outlet: z.string().optional() }),
  districtCode: z.string().nullable(),
  reach: z.number().nullable(),
  reportCount: z.number().nullable(),
});

export const IncidentReportListSchema = z.object({ incidentId: z.string(), items: z.array(IncidentReportSchema) });
