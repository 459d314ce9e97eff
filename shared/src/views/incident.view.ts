import { z } from 'zod';
import type { IncidentRow } from '../db/tables';
import { assessmentReasonLabel, FLAG_LABELS, INCIDENT_STATUS_LABELS, TIER_LABELS, TOPIC_LABELS } from '../domain/labels.zh';
import { formatBeijing } from '../domain/time';
import { DISTRICT_CODES, DISTRICTS, FLAGS, INCIDENT_STATUSES, TIERS, TOPICS } from '../domain/vocabulary';
import { MetricsSchema, SourceSchema } from '../events/event-data';

const AssessmentViewSchema = z.object({
  tier: z.enum(TIERS),
  /** Each rule that fired, with its Chinese wording. */
  reasons: z.array(z.object({ rule: z.string(), tier: z.enum(TIERS), label: z.string() })),
});

/**
 * An incident as every API shows it: codes with their Chinese labels beside
 * them, times also in Beijing time. Each service adds the links it knows.
 */
export const IncidentViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  summary: z.string().nullable(),
  tier: z.enum(TIERS),
  tierLabel: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  statusLabel: z.string(),
  overdue: z.boolean(),
  topic: z.enum(TOPICS),
  topicLabel: z.string(),
  district: z.enum(DISTRICT_CODES).nullable(),
  districtName: z.string().nullable(),
  source: SourceSchema,
  metrics: MetricsSchema,
  flags: z.array(z.enum(FLAGS)),
  flagLabels: z.array(z.string()),
  suggestedTier: z.enum(TIERS).nullable(),
  /** The tier as assessed at intake, and the rules that gave it (定级依据). */
  assessment: AssessmentViewSchema,
  externalId: z.string().nullable(),
  policyVersion: z.string().nullable(),
  workflowId: z.string(),
  createdAt: z.string(),
  /** The same moment in Beijing time, for people. */
  createdAtLocal: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  archivedAt: z.string().nullable(),
});
export type IncidentView = z.infer<typeof IncidentViewSchema>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function incidentView(row: IncidentRow): IncidentView {
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    tier: row.tier,
    tierLabel: TIER_LABELS[row.tier],
    status: row.status,
    statusLabel: INCIDENT_STATUS_LABELS[row.status],
    overdue: row.overdue,
    topic: row.topic,
    topicLabel: TOPIC_LABELS[row.topic],
    district: row.districtCode,
    districtName: row.districtCode ? DISTRICTS[row.districtCode] : null,
    source: row.source,
    metrics: row.metrics,
    flags: row.flags,
    flagLabels: row.flags.map((f) => FLAG_LABELS[f]),
    suggestedTier: row.suggestedTier,
    assessment: { tier: row.assessment.tier, reasons: row.assessment.reasons.map((r) => ({ ...r, label: assessmentReasonLabel(r.rule, r.tier) })) },
    externalId: row.externalId,
    policyVersion: row.policyVersion,
    workflowId: row.workflowId,
    createdAt: row.createdAt.toISOString(),
    createdAtLocal: formatBeijing(row.createdAt),
    updatedAt: row.updatedAt.toISOString(),
    closedAt: iso(row.closedAt),
    archivedAt: iso(row.archivedAt),
  };
}
