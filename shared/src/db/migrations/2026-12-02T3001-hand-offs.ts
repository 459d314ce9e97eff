import type { Kysely } from 'kysely';
import { setChecks } from './checks';

/**
 * Hand-offs, follow-up talking points and the local government's lead department
 * (issue 13, points 9–11): the `hand_off_review` and `lead_department` steps and
 * the `hand_off_requested`, `hand_off_refused` and `talking_points_renewed` events
 * join the checked values. Lists are written out, not imported, so this migration
 * stays what it was.
 */
const EVENT_TYPES_BEFORE = [
  'received',
  'assessed',
  'dispatched',
  'acknowledged',
  'report_submitted',
  'digest_ready',
  'approval_recorded',
  'task_completed',
  'released',
  'task_returned',
  'task_added',
  'tier_changed',
  'reassigned',
  'deadline_lapsed',
  'reminder_sent',
  'escalated',
  'closed',
  'archived',
  'notified',
  'surge',
  'merged',
  'absorbed',
  'split',
];
const EVENT_TYPES_AFTER = [...EVENT_TYPES_BEFORE, 'hand_off_requested', 'hand_off_refused', 'talking_points_renewed'];
const EVENT_TYPE_COLUMNS: readonly [table: string, constraint: string, column: string][] = [
  ['timeline_entries', 'timeline_entries_type_check', 'type'],
  ['deliveries', 'deliveries_event_type_check', 'event_type'],
];

const TASK_KINDS_BEFORE = [
  'acknowledge',
  'investigation_report',
  'digest',
  'digest_signoff',
  'cyberspace_liaison',
  'emergency_procedure',
  'coordination_meeting',
  'legal_guidance',
  'leadership_materials',
  'report_upward',
  'talking_points_draft',
  'talking_points_wording',
  'talking_points_approval',
  'talking_points_reported',
  'response_plan',
  'public_response',
  'authoritative_release',
  'press_conference',
  'follow_up_release',
  'tracking',
  'review',
  'response_plan_approval',
  'tier_confirmation',
  'progress_report',
  'secrecy_review',
  'technical_inspection',
  'public_security_referral',
];
const TASK_KINDS_AFTER = [...TASK_KINDS_BEFORE, 'hand_off_review', 'lead_department'];
const TASK_KIND_COLUMNS: readonly [table: string, constraint: string, column: string][] = [
  ['tasks', 'tasks_kind_check', 'kind'],
  ['alerts', 'alerts_task_kind_check', 'task_kind'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await setChecks(db, EVENT_TYPE_COLUMNS, EVENT_TYPES_AFTER);
  await setChecks(db, TASK_KIND_COLUMNS, TASK_KINDS_AFTER);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await setChecks(db, TASK_KIND_COLUMNS, TASK_KINDS_BEFORE);
  await setChecks(db, EVENT_TYPE_COLUMNS, EVENT_TYPES_BEFORE);
}
