import {
  describeEvent,
  durationText,
  formatBeijing,
  NOTICE_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  TIER_LABELS,
  type IncidentEvent,
  type Role,
  type TaskKind,
} from '@yuqing/shared';

/** Event types that notify people (see `recipients.ts` for whom). */
export const NOTIFYING_EVENT_TYPES = ['dispatched', 'reminder_sent', 'escalated', 'deadline_lapsed'] as const;
export type NotifyingEvent = Extract<IncidentEvent, { type: (typeof NOTIFYING_EVENT_TYPES)[number] }>;

export function isNotifying(event: IncidentEvent): event is NotifyingEvent {
  return (NOTIFYING_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** Who a message is for: a unit, and the person when it goes to a person's own channel. Names only. */
export interface NoticeRecipient {
  readonly unitId: string;
  readonly unitName: string;
  readonly personId?: string;
  readonly personName?: string;
  readonly roles: readonly Role[];
}

/**
 * A rendered notification, stored with its delivery and sent as is by every
 * channel (webhook JSON, robot markdown, e-mail text). It never holds contact data.
 */
export interface NoticeMessage {
  readonly title: string;
  readonly text: string;
  readonly markdown: string;
  readonly to: NoticeRecipient;
  /** The deadline the message is about (the earliest, for a warning), ISO-8601. */
  readonly dueAt?: string;
  readonly links: { readonly source?: string; readonly timeline: string; readonly tasks: string };
}

export interface NoticeInput {
  readonly event: NotifyingEvent;
  readonly incident: { readonly title: string; readonly sourceUrl?: string };
  readonly to: NoticeRecipient;
  /** For a reminder, escalation or lapse: the unit whose task is late. */
  readonly accountable?: { readonly unitId: string; readonly unitName: string };
  /** The recipient unit's tasks that the event opened, with their deadlines (for a warning). */
  readonly unitTasks: readonly { readonly kind: TaskKind; readonly dueAt?: string }[];
  readonly links: { readonly timeline: string; readonly tasks: string };
  readonly unitNames: (id: string) => string | undefined;
}

const MAX_TITLE = 120;

function heading(event: NotifyingEvent): string {
  switch (event.type) {
    case 'dispatched':
      return event.tier === 'general' ? NOTICE_LABELS.warning : NOTICE_LABELS.urgentWarning;
    case 'reminder_sent':
      return event.data.stage === 'before_deadline' ? NOTICE_LABELS.advanceReminder : NOTICE_LABELS.reminder;
    case 'escalated':
      return NOTICE_LABELS.supervision;
    case 'deadline_lapsed':
      return NOTICE_LABELS.lapsed;
  }
}

/** How late the task of a chasing event is, when it is. */
function overdueMs(event: NotifyingEvent): number | undefined {
  switch (event.type) {
    case 'escalated':
      return event.data.overdueMs;
    case 'deadline_lapsed':
      return Math.max(0, Date.parse(event.data.lapsedAt) - Date.parse(event.data.dueAt));
    case 'reminder_sent': {
      const late = Date.parse(event.occurredAt) - Date.parse(event.data.dueAt);
      return late > 0 ? late : undefined;
    }
    default:
      return undefined;
  }
}

function deadlineLine(kind: TaskKind, dueAt: string, late?: number): string {
  const overdue = late !== undefined && late > 0 ? `,${NOTICE_LABELS.overdueBy} ${durationText(late)}` : '';
  return `${TASK_LABELS[kind]} ${NOTICE_LABELS.deadline}:${formatBeijing(dueAt)}(${NOTICE_LABELS.beijingTime})${overdue}`;
}

/**
 * Renders the Chinese message for one recipient of an event: heading by kind and
 * tier (预警 / 紧急预警 / 催办 / 督办 / 超时预警), the incident's title, the event
 * as the timeline says it, the deadlines in Beijing time and the links.
 */
export function renderNotice(input: NoticeInput): NoticeMessage {
  const { event, incident, to } = input;
  const title = `【${heading(event)}】${TIER_LABELS[event.tier]}:${incident.title}`.slice(0, MAX_TITLE);
  const summary = describeEvent(event, input.unitNames);
  const whom = `${NOTICE_LABELS.recipient}:${to.personName ? `${to.personName},` : ''}${to.unitName}(${to.roles.map((r) => ROLE_LABELS[r]).join('、')})`;

  let deadlines: string[];
  let dueAt: string | undefined;
  if (event.type === 'dispatched') {
    const dated = input.unitTasks.filter((t): t is { kind: TaskKind; dueAt: string } => t.dueAt !== undefined).sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
    deadlines = dated.map((t) => deadlineLine(t.kind, t.dueAt));
    dueAt = dated[0]?.dueAt;
  } else {
    deadlines = [deadlineLine(event.data.taskKind, event.data.dueAt, overdueMs(event))];
    dueAt = event.data.dueAt;
  }

  const sourceUrl = event.type === 'dispatched' ? event.data.link : incident.sourceUrl;
  const links = { ...(sourceUrl ? { source: sourceUrl } : {}), timeline: input.links.timeline, tasks: input.links.tasks };
  const linkLines = [
    ...(links.source ? [`${NOTICE_LABELS.source}:${links.source}`] : []),
    `${NOTICE_LABELS.timeline}:${links.timeline}`,
    `${NOTICE_LABELS.unitTasks}:${links.tasks}`,
  ];
  const accountable = input.accountable && event.type !== 'dispatched' ? [`${NOTICE_LABELS.accountable}:${input.accountable.unitName}`] : [];
  const text = [title, summary, ...accountable, whom, ...deadlines, ...linkLines].join('\n');
  const markdown = [
    `### ${title}`,
    `> ${summary}`,
    ...accountable.map((line) => `> **${line}**`),
    `> ${whom}`,
    ...deadlines.map((d) => `- ${d}`),
    '',
    [
      ...(links.source ? [`[${NOTICE_LABELS.source}](${links.source})`] : []),
      `[${NOTICE_LABELS.timeline}](${links.timeline})`,
      `[${NOTICE_LABELS.unitTasks}](${links.tasks})`,
    ].join(' | '),
  ].join('\n');
  return { title, text, markdown, to, ...(dueAt ? { dueAt } : {}), links };
}
