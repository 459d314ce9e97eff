import { z } from 'zod';
import { MATCH_RULES, REPORT_OUTCOMES, TIERS } from '@yuqing/shared';

/** 202 (a new report) or 200 (the same report again): the incident it belongs to, and how. */
export const ReportAcceptedSchema = z.object({
  reportId: z.uuid(),
  incidentId: z.uuid(),
  /** `opened` a new incident, `joined` one, or joined and `reassessed` it to a higher tier. */
  outcome: z.enum(REPORT_OUTCOMES),
  /** The tier the incident is on, or is being raised to. */
  tier: z.enum(TIERS),
  /** The rule that tied the report to its incident and its score (1 for an exact key, the text similarity for `text`). */
  match: z.object({ rule: z.enum(MATCH_RULES), score: z.number() }),
  links: z.object({ self: z.string(), reports: z.string(), timeline: z.string(), temporalUi: z.string() }),
});
