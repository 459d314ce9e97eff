import { z } from 'zod';
import { TIERS } from '@yuqing/shared';
import { IncidentLinksSchema } from '../incidents/incidents.schemas';

/** The opinion digest 《舆情摘报》 as a document (see digest/digest.ts). */
export const DigestSchema = z.object({
  incidentId: z.string(),
  reference: z.string(),
  /** The unit that issues digests: the opinion office. */
  issuer: z.string(),
  preparedAt: z.string(),
  preparedAtLocal: z.string(),
  preparedBy: z.string().nullable(),
  incident: z.object({
    title: z.string(),
    summary: z.string().nullable(),
    tier: z.enum(TIERS),
    tierLabel: z.string(),
    topicLabel: z.string(),
    districtName: z.string().nullable(),
    source: z.object({ url: z.string(), outlet: z.string().nullable(), detectedAtLocal: z.string().nullable() }),
    receivedAtLocal: z.string(),
    metrics: z.array(z.object({ key: z.string(), label: z.string(), value: z.string() })),
  }),
  assessment: z.object({
    tierLabel: z.string(),
    lead: z.enum(['district', 'city']).nullable(),
    leadLabel: z.string().nullable(),
    assignments: z.array(z.object({ unitId: z.string(), unitName: z.string(), roleLabel: z.string() })),
    notified: z.array(z.string()),
  }),
  /** The office's digest text (from the `digest_ready` event). */
  text: z.string(),
  /** The proposed handling (拟办意见). */
  proposal: z.string().nullable(),
  /** The office director's sign-off (签转). */
  signoff: z.array(z.object({ roleLabel: z.string(), by: z.string().nullable(), atLocal: z.string(), comment: z.string().nullable() })),
  progress: z.array(z.object({ occurredAtLocal: z.string(), label: z.string(), text: z.string() })),
  links: IncidentLinksSchema,
});
