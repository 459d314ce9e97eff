import { sql, type Kysely } from 'kysely';
import { DEFAULT_POLICY } from '../../policy/default-policy';
import { planProblems } from '../../policy/plan-rules';
import { PolicyDocumentSchema } from '../../policy/policy.schema';

/**
 * The plan's rules (issue 13): the `task_returned` event and the
 * `response_plan_approval` task (the leader approves the deputy leader's plan) and
 * the `tier_confirmation` task (the group confirms a critical tier only a reporter suggested),
 * the districts' progress reports, the secrecy review before a release, and the
 * technical inspection and public-security referral the office adds,
 * join the checked values, and a city policy that falls short of the plan (a release before the
 * talking points are reported and the response plan approved) is followed by a
 * version that meets it. Earlier versions stay for the incidents that use them.
 */
const EVENT_TYPE_COLUMNS: readonly [table: string, constraint: string, column: string][] = [
  ['timeline_entries', 'timeline_entries_type_check', 'type'],
  ['deliveries', 'deliveries_event_type_check', 'event_type'],
];
const BEFORE = [
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
const AFTER = [...BEFORE, 'task_returned', 'task_added'];

const TASK_KIND_COLUMNS: readonly [table: string, constraint: string, column: string][] = [
  ['tasks', 'tasks_kind_check', 'kind'],
  ['alerts', 'alerts_task_kind_check', 'task_kind'],
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
];
const TASK_KINDS_AFTER = [
  ...TASK_KINDS_BEFORE,
  'response_plan_approval',
  'tier_confirmation',
  'progress_report',
  'secrecy_review',
  'technical_inspection',
  'public_security_referral',
];

const oneOf = (column: string, values: readonly string[]) => sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

async function setChecks(db: Kysely<unknown>, columns: typeof EVENT_TYPE_COLUMNS, values: readonly string[]): Promise<void> {
  for (const [table, constraint, column] of columns) {
    await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.id(constraint)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(constraint)} check (${oneOf(column, values)})`.execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await setChecks(db, EVENT_TYPE_COLUMNS, AFTER);
  await setChecks(db, TASK_KIND_COLUMNS, TASK_KINDS_AFTER);
  const latest = await sql<{ version: number; document: unknown }>`
    select version, document from policies where scope = 'city' order by version desc limit 1`.execute(db);
  const row = latest.rows[0];
  const current = row ? PolicyDocumentSchema.safeParse(row.document) : undefined;
  if (row && current?.success && planProblems(current.data).length === 0) return;
  await sql`insert into policies (scope, version, document, note, created_by)
    values ('city', ${(row?.version ?? 0) + 1}, ${JSON.stringify(PolicyDocumentSchema.parse(DEFAULT_POLICY))}::jsonb,
            ${'按预案硬性规定更新:重大、特别重大舆情发布前须完成口径报送与应对方案审定'}, ${'system:migration'})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await setChecks(db, TASK_KIND_COLUMNS, TASK_KINDS_BEFORE);
  await setChecks(db, EVENT_TYPE_COLUMNS, BEFORE);
}
