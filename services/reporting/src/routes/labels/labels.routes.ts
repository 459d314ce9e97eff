import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ACCOUNTABILITY_OUTCOME_LABELS,
  ACTION_LABELS,
  ALERT_KIND_LABELS,
  ANSWERABLE_VIA_LABELS,
  FORM_FIELD_LABELS,
  TRUTH_LABELS,
  CHAIN_ACTION_LABELS,
  DIRECTORY_GAP_LABELS,
  DIRECTORY_GROUP_LABELS,
  DISPOSITION_LABELS,
  DISTRICTS,
  EVENT_LABELS,
  FLAG_LABELS,
  FOUR_FIRST_LABELS,
  INCIDENT_STATUS_LABELS,
  LEAD_LABELS,
  MATCH_RULE_LABELS,
  SUMMARY_KIND_LABELS,
  METRIC_LABELS,
  RELEASE_CHANNEL_KIND_LABELS,
  RELEASE_FORM_LABELS,
  CONTENT_FIELD_LABELS,
  REPORT_KIND_LABELS,
  REPORT_OUTCOME_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  TASK_STATUS_LABELS,
  TIER_LABELS,
  TOPIC_LABELS,
} from '@yuqing/shared';

/** Every code's Chinese label, from `labels.zh.ts` (the one place they are kept). */
export const LABELS = Object.freeze({
  tiers: TIER_LABELS,
  incidentStatuses: INCIDENT_STATUS_LABELS,
  topics: TOPIC_LABELS,
  districts: DISTRICTS,
  flags: FLAG_LABELS,
  roles: ROLE_LABELS,
  tasks: TASK_LABELS,
  taskStatuses: TASK_STATUS_LABELS,
  events: EVENT_LABELS,
  alertKinds: ALERT_KIND_LABELS,
  chainActions: CHAIN_ACTION_LABELS,
  releaseForms: RELEASE_FORM_LABELS,
  contentFields: CONTENT_FIELD_LABELS,
  dispositions: DISPOSITION_LABELS,
  reportKinds: REPORT_KIND_LABELS,
  leads: LEAD_LABELS,
  metrics: METRIC_LABELS,
  fourFirsts: FOUR_FIRST_LABELS,
  directoryGaps: DIRECTORY_GAP_LABELS,
  directoryGroups: DIRECTORY_GROUP_LABELS,
  releaseChannelKinds: RELEASE_CHANNEL_KIND_LABELS,
  accountabilityOutcomes: ACCOUNTABILITY_OUTCOME_LABELS,
  answerableVia: ANSWERABLE_VIA_LABELS,
  truths: TRUTH_LABELS,
  actions: ACTION_LABELS,
  fields: FORM_FIELD_LABELS,
  reportOutcomes: REPORT_OUTCOME_LABELS,
  matchRules: MATCH_RULE_LABELS,
  summaryKinds: SUMMARY_KIND_LABELS,
});

const LabelsSchema = z.record(z.enum(Object.keys(LABELS) as [keyof typeof LABELS]), z.record(z.string(), z.string()));

/**
 * The vocabulary's labels for screens, so that the console shows the same words
 * as the API and the digests without a copy of its own. Public: it is the
 * published vocabulary, nothing about any incident.
 */
export const labelRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/labels',
    {
      schema: {
        tags: ['labels'],
        summary: 'Chinese labels of every code (tiers, statuses, topics, districts, roles, tasks, events…)',
        security: [],
        response: { 200: LabelsSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return LABELS;
    },
  );
};
