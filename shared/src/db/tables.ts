import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Assessment, Metrics } from '../domain/assessment';
import type {
  AccountabilityCause,
  AccountabilityOutcome,
  AlertKind,
  AnswerableVia,
  ChannelKind,
  DeliveryStatus,
  DeliverySubject,
  DirectoryGroup,
  DistrictCode,
  Flag,
  IncidentStatus,
  ReleaseChannelKind,
  MatchRule,
  ReportOutcome,
  Role,
  SummaryKind,
  TaskKind,
  TaskPhase,
  TaskStatus,
  Tier,
  Topic,
  UnitKind,
} from '../domain/vocabulary';
import type { Scope } from '../auth/api-keys';
import type { EventType } from '../events/event-types';
import type { IncidentEvent } from '../events/envelope';
import type { Recipient, Source } from '../events/event-data';
import type { NoticeMessage } from '../notifications/notice-message';
import type { DistrictOverride, PolicyDocument } from '../policy/policy.schema';
import type { SummaryFigures } from '../domain/summary-report';
import type { Actor, Approval } from '../task/task.schema';

/** timestamptz: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** timestamptz with a database default (`now()`): optional on insert. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: read as T, written as its JSON text (pg would turn arrays into PG arrays). */
export type Json<T> = ColumnType<T, string, string>;

/** An incident as intake stored it; tier/status/overdue follow the workflow. */
export interface IncidentsTable {
  id: string;
  clientId: string;
  externalId: string | null;
  title: string;
  summary: string | null;
  source: Json<Source>;
  topic: Topic;
  districtCode: DistrictCode | null;
  metrics: Json<Metrics>;
  flags: Json<Flag[]>;
  suggestedTier: Tier | null;
  tier: Tier;
  status: IncidentStatus;
  overdue: Generated<boolean>;
  assessment: Json<Assessment>;
  workflowId: string;
  policyVersion: string | null;
  /** Sequence of the workflow's last change applied here (activities may commit out of order). */
  stateSeq: Generated<number>;
  requestHash: string;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
  closedAt: Timestamp | null;
  archivedAt: Timestamp | null;
  /** When its newest report arrived: the correlation window runs from here. */
  lastReportAt: GeneratedTimestamp;
  /** When its last spread surge was raised (one per window). */
  lastSurgeAt: Timestamp | null;
  /** The incident it was merged into (status `merged`). */
  mergedInto: string | null;
  /** The event keys its reports carry, as `clientId eventKey`: the text rule never joins across a caller's own keys. */
  eventKeys: ColumnType<string[], string[] | undefined, string[]>;
}

export interface IdempotencyKeysTable {
  clientId: string;
  key: string;
  incidentId: string;
  /** The report the request stored; its incident may have changed since (merge, split). */
  reportId: string | null;
  requestHash: string;
  createdAt: GeneratedTimestamp;
}

/** A human step's Idempotency-Key, scoped to who sent it, the incident and the action. */
export interface ActionRequestsTable {
  principalId: string;
  incidentId: string;
  action: string;
  key: string;
  requestHash: string;
  /** The Temporal Update id the step runs as: a retry is the same Update. */
  updateId: string;
  createdAt: GeneratedTimestamp;
}

/**
 * Every sighting a caller sent, against the incident it opened or joined, with the
 * rule and score that tied it there (ARCHITECTURE.md, correlation contract).
 */
export interface ReportsTable {
  id: string;
  incidentId: string;
  clientId: string;
  externalId: string | null;
  /** The caller's own grouping key: reports with the same one belong together. */
  eventKey: string | null;
  source: Json<Source>;
  /** `source.url` normalised (shared/src/correlation/source-url.ts): one spelling per post. */
  sourceUrl: string;
  title: string;
  summary: string | null;
  topic: Topic;
  districtCode: DistrictCode | null;
  reportCount: number | null;
  reach: number | null;
  spreadPerHour: number | null;
  negativeRatio: number | null;
  importantMedia: boolean | null;
  flags: Json<Flag[]>;
  suggestedTier: Tier | null;
  requestHash: string;
  outcome: ReportOutcome;
  matchRule: MatchRule;
  matchScore: Generated<number>;
  /** It carries its source's newest figures (a source measured again supersedes its earlier report). */
  current: Generated<boolean>;
  /** Its title and summary are one of the wordings its incident is matched by. */
  exemplar: Generated<boolean>;
  /** The incident's spread per hour just after this report: the surge baseline. */
  incidentSpreadPerHour: Generated<number>;
  receivedAt: GeneratedTimestamp;
}

/** An incident's figures as its reports add up: sums over each source's current report. */
export interface IncidentTotalsTable {
  incidentId: string;
  /** Concurrent reports of one incident add to different shards; the figures are their sum. */
  shard: Generated<number>;
  sources: Generated<number>;
  reportCount: Generated<number>;
  reach: Generated<number>;
  /** Current reports that carry a reach (none: the incident's reach is unknown). */
  reachKnown: Generated<number>;
  negativeWeighted: Generated<number>;
  negativeWeight: Generated<number>;
  importantMediaKnown: Generated<number>;
  importantMediaSeen: Generated<number>;
}

/** An incident's reports per minute: the sliding spread window's buckets, and the lowest incident spread in each (the surge baseline). */
export interface IncidentMinutesTable {
  incidentId: string;
  minute: Timestamp;
  shard: Generated<number>;
  reports: Generated<number>;
  /** Σ spread per hour of the current reports received in this minute. */
  spread: Generated<number>;
  minIncidentSpread: number | null;
}

/**
 * Transactional outbox: work that must follow a committed change (start a
 * workflow, publish an event) even if Temporal or NATS is down at that moment.
 */
export interface OutboxTable {
  id: Generated<string>;
  kind: 'start_workflow' | 'update_workflow' | 'event';
  /** Workflow id or event id: the same work is never queued twice. */
  dedupeKey: string;
  payload: Json<unknown>;
  createdAt: GeneratedTimestamp;
  availableAt: GeneratedTimestamp;
  attempts: Generated<number>;
  lastError: string | null;
  doneAt: Timestamp | null;
}

/** Events a consumer has applied; makes redelivery harmless. */
export interface ProcessedEventsTable {
  consumer: string;
  eventId: string;
  processedAt: GeneratedTimestamp;
}

/** Reporting's read model: every event of an incident, in order. */
export interface TimelineEntriesTable {
  eventId: string;
  incidentId: string;
  type: EventType;
  tier: Tier;
  occurredAt: Timestamp;
  data: Json<IncidentEvent['data']>;
  recordedAt: GeneratedTimestamp;
}

/** Dispatch's read model: tasks per unit and role, from the events' task snapshots. */
export interface TasksTable {
  incidentId: string;
  key: string;
  kind: TaskKind;
  /** The role that owns the task (one name everywhere: `owner`). */
  owner: Role;
  unitId: string | null;
  status: TaskStatus;
  mandatory: boolean;
  phase: TaskPhase;
  round: number;
  openedAt: Timestamp | null;
  dueAt: Timestamp | null;
  doneAt: Timestamp | null;
  doneBy: Json<Actor> | null;
  overdue: boolean;
  lapsedAt: Timestamp | null;
  approvalsNeeded: Json<Role[]>;
  approvals: Json<Approval[]>;
  cancelReason: string | null;
  seq: number;
  incidentTier: Tier;
  updatedAt: GeneratedTimestamp;
}

/** The bureau's units: leadership group, office, departments, district bureaus, stations, outside bodies. */
export interface UnitsTable {
  id: string;
  kind: UnitKind;
  name: string;
  parentId: string | null;
  districtCode: DistrictCode | null;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** People of a unit, their roles in the plan and how to reach them (24-hour duty). */
export interface PersonsTable {
  id: string;
  unitId: string;
  name: string;
  title: string | null;
  roles: ColumnType<Role[], string | undefined, string>;
  contacts: ColumnType<Record<string, string>, string | undefined, string>;
  onDuty: Generated<boolean>;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** Routing as data: topic → department, district → district bureau, role → unit. */
export interface RoutingRulesTable {
  id: Generated<number>;
  kind: 'topic' | 'district' | 'role';
  match: string;
  unitId: string;
  updatedAt: GeneratedTimestamp;
}

/** Versioned escalation policies: `city`, or a district code for a local plan. */
export interface PoliciesTable {
  id: Generated<number>;
  scope: 'city' | DistrictCode;
  version: number;
  /** A full policy for `city`; a district's overrides otherwise. */
  document: Json<PolicyDocument | DistrictOverride>;
  note: string | null;
  createdBy: string;
  createdAt: GeneratedTimestamp;
}

/** Calling systems and people's credentials; only a hash of each key is kept. */
export interface ApiClientsTable {
  id: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  scopes: Json<Scope[]>;
  unitId: string | null;
  personId: string | null;
  createdAt: GeneratedTimestamp;
  revokedAt: Timestamp | null;
  lastUsedAt: Timestamp | null;
}

/** How a session was opened. */
export type SignInMethod = 'password' | 'oidc';

/**
 * A person's sign-in account: the scopes their sessions carry (granted like a
 * personal key's) and their password, as an scrypt hash (`accounts/password.ts`).
 * No password: not activated yet, or single sign-on only.
 */
export interface AccountsTable {
  personId: string;
  scopes: Json<Scope[]>;
  passwordHash: string | null;
  passwordChangedAt: Timestamp | null;
  /** Failed sign-ins since the last success or lock; at the limit the account is locked. */
  failedSignIns: Generated<number>;
  lockedUntil: Timestamp | null;
  createdBy: string;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** One-time links to set a password: only the token's SHA-256 is kept. */
export interface AccountActivationsTable {
  id: string;
  personId: string;
  tokenHash: string;
  expiresAt: Timestamp;
  usedAt: Timestamp | null;
  createdBy: string;
  createdAt: GeneratedTimestamp;
}

/** People's sessions, shared by the three services: the cookie holds the token, this table its SHA-256. */
export interface SessionsTable {
  /** Public id: the principal's id, in the audit log and session lists. */
  id: string;
  tokenHash: string;
  personId: string;
  method: SignInMethod;
  createdAt: GeneratedTimestamp;
  lastSeenAt: GeneratedTimestamp;
  /** The absolute end; the idle end is lastSeenAt plus the idle timeout. */
  expiresAt: Timestamp;
  revokedAt: Timestamp | null;
  address: string | null;
  userAgent: string | null;
}

/** A single sign-on under way: what the callback checks (state, nonce, PKCE verifier), kept minutes. */
export interface OidcLoginsTable {
  stateHash: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expiresAt: Timestamp;
}

/** Append-only: a trigger refuses UPDATE and DELETE. */
export interface AuditLogTable {
  id: Generated<string>;
  at: GeneratedTimestamp;
  actorId: string;
  actorKind: Actor['kind'];
  unitId: string | null;
  action: string;
  incidentId: string | null;
  entity: string;
  entityId: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  requestId: string | null;
}

/** Deadline alerts: one row per lapse, reminder and escalation, kept against the accountable unit. */
export interface AlertsTable {
  id: string;
  incidentId: string;
  taskKey: string;
  taskKind: TaskKind;
  kind: AlertKind;
  stage: number | null;
  /** The task's owner, against whom the alert is kept. */
  owner: Role;
  unitId: string | null;
  notified: Json<Recipient[]>;
  dueAt: Timestamp;
  raisedAt: Timestamp;
  lateMs: number;
  resolvedAt: Timestamp | null;
}

/**
 * How a unit or a person is reached: a generic webhook, a WeCom or DingTalk group
 * robot, or an e-mail address. `address` and `secret` are contact data: they never
 * leave this table (not in events, logs, audit entries or API answers after creation).
 */
export interface NotificationChannelsTable {
  id: string;
  /** Exactly one of unitId and personId is set. */
  unitId: string | null;
  personId: string | null;
  kind: ChannelKind;
  label: string | null;
  /** The webhook or robot URL, or the e-mail address. */
  address: string;
  /** Signs generic webhooks (HMAC-SHA256); DingTalk's 加签 secret. Sealed (`v1:…`, shared/src/secrets/secret-box.ts), opened only to send. */
  secret: string | null;
  enabled: Generated<boolean>;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** The 24-hour duty roster: who answers for a unit in a time span. */
export interface DutyShiftsTable {
  id: Generated<string>;
  unitId: string;
  personId: string;
  startsAt: Timestamp;
  endsAt: Timestamp;
  note: string | null;
  createdBy: string;
  createdAt: GeneratedTimestamp;
}

/**
 * One message about one event to one channel, sent at least once: the dispatch
 * consumer records it with the event, the delivery worker drains the table.
 */
export interface DeliveriesTable {
  id: string;
  /** The event the message is about (or `summary-report:<id>`); with the channel it makes the delivery unique. */
  eventId: string;
  eventType: EventType | DeliverySubject;
  /** The incident, for an incident's event; null for a summary report. */
  incidentId: string | null;
  tier: Tier | null;
  /** The summary report (舆情日报/周报) the message is about. */
  summaryReportId: string | null;
  channelId: string;
  channelKind: ChannelKind;
  /** The queue it waits in: one per channel, one shared by e-mail (the SMTP relay). */
  endpoint: string;
  unitId: string;
  personId: string | null;
  personName: string | null;
  /** The roles the recipient gets it as. */
  roles: Json<Role[]>;
  /** The rendered message (title, text, markdown, links): no contact data. */
  message: Json<NoticeMessage>;
  status: DeliveryStatus;
  /** Attempts since it was queued or last retried by an operator. */
  attempts: Generated<number>;
  /** Outcomes recorded so far; each published one `notified` event. */
  outcomes: Generated<number>;
  nextAttemptAt: GeneratedTimestamp;
  /** While `sending`: when another process may take it over (the sender died). */
  leaseUntil: Timestamp | null;
  lastError: string | null;
  /** When the causing event happened: latency counts from here. */
  triggeredAt: Timestamp;
  createdAt: GeneratedTimestamp;
  deliveredAt: Timestamp | null;
  deadAt: Timestamp | null;
  latencyMs: number | null;
}

/** A periodic summary report to the leaders (舆情日报/周报): its figures and its PDF, one per kind and period. */
export interface SummaryReportsTable {
  id: string;
  kind: SummaryKind;
  periodStart: Timestamp;
  periodEnd: Timestamp;
  title: string;
  figures: Json<SummaryFigures>;
  pdf: Buffer;
  /** The workflow run that built it. */
  workflowId: string;
  createdAt: GeneratedTimestamp;
}
export type SummaryReportRow = Selectable<SummaryReportsTable>;

/** The delivery log: every attempt with its result and duration. */
export interface DeliveryAttemptsTable {
  id: Generated<string>;
  deliveryId: string;
  attempt: number;
  startedAt: Timestamp;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * Written work dispatch forwards (签转, 报送): the digest, and each version of the
 * talking points and the response plan; `approvedAt` once its approval is complete.
 */
export interface WritingsTable {
  /** The event that recorded it. */
  eventId: string;
  incidentId: string;
  taskKind: TaskKind;
  version: number;
  text: string;
  /** The digest's proposed handling (拟办意见). */
  proposal: string | null;
  writtenBy: Json<Actor>;
  writtenAt: Timestamp;
  approvedAt: Timestamp | null;
}

/** A member of the expert pool or the commentator team (plan §8(二)): a directory person, or an outside contact. */
export interface GroupMembersTable {
  id: string;
  group: DirectoryGroup;
  /** Exactly one of personId and name is set. */
  personId: string | null;
  name: string | null;
  organisation: string | null;
  title: string | null;
  /** Where an outside contact belongs (a commentator's district or station); a person's is their unit. */
  unitId: string | null;
  /** How to reach an outside contact; contact data, shown only to the group's keepers. */
  contacts: ColumnType<Record<string, string>, string | undefined, string>;
  topics: ColumnType<Topic[], string | undefined, string>;
  expertise: ColumnType<string[], string | undefined, string>;
  note: string | null;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** The bureau's own release channels (两微一端, plan §8(三)): a release names one by id. */
export interface ReleaseChannelsTable {
  id: string;
  name: string;
  kind: ReleaseChannelKind;
  url: string | null;
  /** A retired channel stays for the releases that named it, and takes no new one. */
  active: Generated<boolean>;
  createdAt: GeneratedTimestamp;
  updatedAt: GeneratedTimestamp;
}

/** Who answered for a unit when a deadline lapsed, as recorded then (a later roster edit does not rewrite it). */
export interface AnswerableRecord {
  readonly personId: string;
  readonly name: string;
  readonly via: AnswerableVia;
}

/**
 * 问责记录 (plan §8(五)3): one per lapse and per escalation, against the late unit,
 * with who was on duty then; the office records the outcome. Written by reporting's
 * consumer in the transaction of the timeline entry of the same event.
 */
export interface AccountabilityRecordsTable {
  /** The id of the event that made it (and of its alert). */
  id: string;
  incidentId: string;
  cause: AccountabilityCause;
  taskKey: string;
  taskKind: TaskKind;
  /** The escalation's link in the chain; null for a lapse. */
  stage: number | null;
  /** The late task's owner and unit. */
  owner: Role | null;
  unitId: string | null;
  dueAt: Timestamp;
  occurredAt: Timestamp;
  /** How late the task was when this was recorded (bigint: pg reads it as a string). */
  overdueMs: ColumnType<string, number, number>;
  onDuty: ColumnType<AnswerableRecord[], string | undefined, string>;
  outcome: AccountabilityOutcome | null;
  outcomeNote: string | null;
  outcomeBy: Json<Actor> | null;
  outcomeAt: Timestamp | null;
  createdAt: GeneratedTimestamp;
}

export interface Database {
  incidents: IncidentsTable;
  idempotencyKeys: IdempotencyKeysTable;
  actionRequests: ActionRequestsTable;
  reports: ReportsTable;
  incidentTotals: IncidentTotalsTable;
  incidentMinutes: IncidentMinutesTable;
  outbox: OutboxTable;
  processedEvents: ProcessedEventsTable;
  timelineEntries: TimelineEntriesTable;
  tasks: TasksTable;
  units: UnitsTable;
  persons: PersonsTable;
  routingRules: RoutingRulesTable;
  policies: PoliciesTable;
  apiClients: ApiClientsTable;
  accounts: AccountsTable;
  accountActivations: AccountActivationsTable;
  sessions: SessionsTable;
  oidcLogins: OidcLoginsTable;
  auditLog: AuditLogTable;
  alerts: AlertsTable;
  notificationChannels: NotificationChannelsTable;
  dutyShifts: DutyShiftsTable;
  deliveries: DeliveriesTable;
  summaryReports: SummaryReportsTable;
  deliveryAttempts: DeliveryAttemptsTable;
  groupMembers: GroupMembersTable;
  releaseChannels: ReleaseChannelsTable;
  accountabilityRecords: AccountabilityRecordsTable;
  writings: WritingsTable;
}

export type IncidentRow = Selectable<IncidentsTable>;

/** Explicit columns: what the APIs show of an incident (every column, named so a new one is a decision). */
export const INCIDENT_COLUMNS = [
  'id',
  'clientId',
  'externalId',
  'title',
  'summary',
  'source',
  'topic',
  'districtCode',
  'metrics',
  'flags',
  'suggestedTier',
  'tier',
  'status',
  'overdue',
  'assessment',
  'workflowId',
  'policyVersion',
  'stateSeq',
  'requestHash',
  'createdAt',
  'updatedAt',
  'closedAt',
  'archivedAt',
  'lastReportAt',
  'lastSurgeAt',
  'mergedInto',
  'eventKeys',
] as const satisfies readonly (keyof IncidentsTable)[];
export type NewIncident = Insertable<IncidentsTable>;

/** Explicit columns of a task, as the read models show it. */
export const TASK_COLUMNS = [
  'incidentId',
  'key',
  'kind',
  'owner',
  'unitId',
  'status',
  'mandatory',
  'phase',
  'round',
  'openedAt',
  'dueAt',
  'doneAt',
  'doneBy',
  'overdue',
  'lapsedAt',
  'approvalsNeeded',
  'approvals',
  'cancelReason',
  'seq',
  'incidentTier',
  'updatedAt',
] as const satisfies readonly (keyof TasksTable)[];

/** Explicit columns of an alert. */
export const ALERT_COLUMNS = [
  'id',
  'incidentId',
  'taskKey',
  'taskKind',
  'kind',
  'stage',
  'owner',
  'unitId',
  'notified',
  'dueAt',
  'raisedAt',
  'lateMs',
  'resolvedAt',
] as const satisfies readonly (keyof AlertsTable)[];

/** Explicit columns of a report (a sighting). */
export const REPORT_COLUMNS = [
  'id',
  'incidentId',
  'clientId',
  'externalId',
  'eventKey',
  'source',
  'sourceUrl',
  'title',
  'summary',
  'topic',
  'districtCode',
  'reportCount',
  'reach',
  'spreadPerHour',
  'negativeRatio',
  'importantMedia',
  'flags',
  'suggestedTier',
  'requestHash',
  'outcome',
  'matchRule',
  'matchScore',
  'current',
  'exemplar',
  'incidentSpreadPerHour',
  'receivedAt',
] as const satisfies readonly (keyof ReportsTable)[];
export type IncidentUpdate = Updateable<IncidentsTable>;
export type TaskRow = Selectable<TasksTable>;
export type ReportRow = Selectable<ReportsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type TimelineEntryRow = Selectable<TimelineEntriesTable>;
export type UnitRow = Selectable<UnitsTable>;
export type NewUnit = Insertable<UnitsTable>;
export type PersonRow = Selectable<PersonsTable>;
export type ApiClientRow = Selectable<ApiClientsTable>;
export type PolicyRow = Selectable<PoliciesTable>;
export type NotificationChannelRow = Selectable<NotificationChannelsTable>;
export type NewNotificationChannel = Insertable<NotificationChannelsTable>;
export type DutyShiftRow = Selectable<DutyShiftsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type DeliveryAttemptRow = Selectable<DeliveryAttemptsTable>;
export type GroupMemberRow = Selectable<GroupMembersTable>;
export type ReleaseChannelRow = Selectable<ReleaseChannelsTable>;
export type AccountabilityRecordRow = Selectable<AccountabilityRecordsTable>;
