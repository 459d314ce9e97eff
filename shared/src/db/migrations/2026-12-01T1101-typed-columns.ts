import { sql, type Kysely } from 'kysely';

/**
 * The code columns hold only the plan's codes, as the types say (tables.ts):
 * CHECK constraints name each allowed value, and the task owner's role is
 * `owner` everywhere (it was `owner_role` on tasks and `accountable_role` on
 * alerts). The lists are written out, not imported, so that this migration
 * stays what it was when the vocabulary grows; a later one widens a check.
 */
const TIERS = ['general', 'sensitive', 'major', 'critical'];
const INCIDENT_STATUSES = ['received', 'handling', 'closed', 'archived'];
const TOPICS = [
  'food_safety',
  'product_quality',
  'pricing',
  'consumer_rights',
  'special_equipment',
  'drugs_devices_cosmetics',
  'advertising',
  'registration_licensing',
  'metrology_standards',
  'competition_ip',
  'bureau_conduct',
  'bureau_document',
  'other',
];
const DISTRICT_CODES = [
  '230102',
  '230103',
  '230104',
  '230108',
  '230109',
  '230110',
  '230111',
  '230112',
  '230113',
  '230123',
  '230124',
  '230125',
  '230126',
  '230127',
  '230128',
  '230129',
  '230183',
  '230184',
];
const TASK_KINDS = [
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
];
const ROLES = [
  'responsible_department',
  'district_bureau',
  'opinion_office',
  'office_director',
  'leader_in_charge',
  'deputy_leader',
  'leader',
  'leadership_group',
  'legal_affairs',
  'sci_tech_info',
  'city_party_committee',
  'city_government',
  'provincial_bureau',
  'cyberspace_office',
  'propaganda_department',
  'public_security',
  'local_government',
];
const TASK_STATUSES = ['waiting', 'open', 'done', 'cancelled'];
const EVENT_TYPES = [
  'received',
  'assessed',
  'dispatched',
  'acknowledged',
  'report_submitted',
  'digest_ready',
  'approval_recorded',
  'task_completed',
  'released',
  'tier_changed',
  'reassigned',
  'deadline_lapsed',
  'reminder_sent',
  'escalated',
  'closed',
  'archived',
  'notified',
];
const UNIT_KINDS = ['leadership', 'office', 'department', 'affiliated', 'district_bureau', 'station', 'outside'];
const ALERT_KINDS = ['deadline_lapsed', 'reminder', 'escalation'];
const CHANNEL_KINDS = ['webhook', 'wecom', 'dingtalk', 'email'];
const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'dead'];
const SCOPES = ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'directory:write', 'policies:write', 'admin'];

/** `column in (...)`, nulls allowed where the column allows them. */
const oneOf = (column: string, values: readonly string[]) => sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);
/** A jsonb array of strings, each one of `values`. */
const arrayOf = (column: string, values: readonly string[]) => sql.raw(`jsonb_typeof(${column}) = 'array' and ${column} <@ '${JSON.stringify(values)}'::jsonb`);

const CHECKS: readonly [table: string, name: string, check: ReturnType<typeof sql.raw>][] = [
  ['incidents', 'incidents_tier_check', oneOf('tier', TIERS)],
  ['incidents', 'incidents_status_check', oneOf('status', INCIDENT_STATUSES)],
  ['incidents', 'incidents_topic_check', oneOf('topic', TOPICS)],
  ['incidents', 'incidents_suggested_tier_check', oneOf('suggested_tier', TIERS)],
  ['incidents', 'incidents_district_code_check', oneOf('district_code', DISTRICT_CODES)],
  ['reports', 'reports_topic_check', oneOf('topic', TOPICS)],
  ['reports', 'reports_suggested_tier_check', oneOf('suggested_tier', TIERS)],
  ['reports', 'reports_district_code_check', oneOf('district_code', DISTRICT_CODES)],
  ['reports', 'reports_outcome_check', oneOf('outcome', ['opened', 'joined', 'reassessed'])],
  ['tasks', 'tasks_kind_check', oneOf('kind', TASK_KINDS)],
  ['tasks', 'tasks_owner_check', oneOf('owner', ROLES)],
  ['tasks', 'tasks_status_check', oneOf('status', TASK_STATUSES)],
  ['tasks', 'tasks_phase_check', oneOf('phase', ['handling', 'closing'])],
  ['tasks', 'tasks_incident_tier_check', oneOf('incident_tier', TIERS)],
  ['tasks', 'tasks_approvals_needed_check', arrayOf('approvals_needed', ROLES)],
  ['timeline_entries', 'timeline_entries_type_check', oneOf('type', EVENT_TYPES)],
  ['timeline_entries', 'timeline_entries_tier_check', oneOf('tier', TIERS)],
  ['units', 'units_kind_check', oneOf('kind', UNIT_KINDS)],
  ['units', 'units_district_code_check', oneOf('district_code', DISTRICT_CODES)],
  ['persons', 'persons_roles_check', arrayOf('roles', ROLES)],
  ['routing_rules', 'routing_rules_kind_check', oneOf('kind', ['topic', 'district', 'role'])],
  ['policies', 'policies_scope_check', oneOf('scope', ['city', ...DISTRICT_CODES])],
  ['api_clients', 'api_clients_scopes_check', arrayOf('scopes', SCOPES)],
  ['audit_log', 'audit_log_actor_kind_check', oneOf('actor_kind', ['person', 'client', 'system'])],
  ['alerts', 'alerts_kind_check', oneOf('kind', ALERT_KINDS)],
  ['alerts', 'alerts_task_kind_check', oneOf('task_kind', TASK_KINDS)],
  ['alerts', 'alerts_owner_check', oneOf('owner', ROLES)],
  ['notification_channels', 'notification_channels_kind_check', oneOf('kind', CHANNEL_KINDS)],
  ['deliveries', 'deliveries_status_check', oneOf('status', DELIVERY_STATUSES)],
  ['deliveries', 'deliveries_channel_kind_check', oneOf('channel_kind', CHANNEL_KINDS)],
  ['deliveries', 'deliveries_event_type_check', oneOf('event_type', EVENT_TYPES)],
  ['deliveries', 'deliveries_tier_check', oneOf('tier', TIERS)],
  ['deliveries', 'deliveries_roles_check', arrayOf('roles', ROLES)],
  ['outbox', 'outbox_kind_check', oneOf('kind', ['start_workflow', 'update_workflow', 'event'])],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tasks rename column owner_role to owner`.execute(db);
  await sql`alter table alerts rename column accountable_role to owner`.execute(db);
  await sql`alter table alerts rename column accountable_unit_id to unit_id`.execute(db);
  for (const [table, name, check] of CHECKS) {
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(name)} check (${check})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, name] of [...CHECKS].reverse()) await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.id(name)}`.execute(db);
  await sql`alter table alerts rename column unit_id to accountable_unit_id`.execute(db);
  await sql`alter table alerts rename column owner to accountable_role`.execute(db);
  await sql`alter table tasks rename column owner to owner_role`.execute(db);
}
