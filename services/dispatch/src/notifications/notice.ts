import {
  describeEvent,
  displayText,
  durationText,
  formatBeijing,
  NOTICE_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  TIER_LABELS,
  type IncidentEvent,
  type NoticeMessage,
  type NoticeRecipient,
  type TaskKind,
} from '@yuqing/shared';

export type { NoticeMessage, NoticeRecipient };

/** Event types that notify people (`planner.ts` says who). */
export const NOTIFYING_EVENT_TYPES = [
  'dispatched',
  'reminder_sent',
  'escalated',
  'deadline_lapsed',
  'surge',
  'hand_off_requested',
  'hand_off_refused',
] as const;
export type NotifyingEvent = Extract<IncidentEvent, { type: (typeof NOTIFYING_EVENT_TYPES)[number] }>;

export function isNotifying(event: IncidentEvent): event is NotifyingEvent {
  return (NOTIFYING_EVENT_TYPES as readonly string[]).includes(event.type);
}

export interface NoticeInput {
  readonly event: NotifyingEvent;
  readonly incident: { readonly title: string; readonly sourceUrl?: string };
  readonly to: NoticeRecipient;
  /** For a reminder, escalation or lapse: the unit whose task is late. */
  readonly owner?: { readonly unitId: string; readonly unitName: string };
  /** The recipient unit's tasks that the event opened, with their deadlines (for a warning). */
  readonly unitTasks: readonly { readonly kind: TaskKind; readonly dueAt?: string }[];
  readonly links: { readonly timeline: string; readonly tasks: string };
  /** Our own public base URLs (DISPATCH_PUBLIC_URL, REPORTING_PUBLIC_URL): the only places robot messages link to. */
  readonly ownBases: readonly string[];
  readonly unitNames: (id: string) => string | undefined;
}

const MAX_TITLE = 120;

/** Line breaks, tabs and other control characters, which would start a new markdown block or a forged line. */
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const BREAKS = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** A field meant for one line, on one line. */
export function oneLine(text: string): string {
  // Bidi overrides go too: a title must read in the order it was written.
  return displayText(text).replace(BREAKS, ' ').trim();
}

/**
 * ASCII characters that mean something to markdown (links, emphasis, headings,
 * lists, quotes, HTML) or to link detectors (`://`, `www.`, `@`). Robots differ
 * in which backslash escapes they honour, so these become their full-width forms
 * (U+FF01…U+FF5E), which read the same in Chinese text and mean nothing.
 */
const MARKDOWN_ACTIVE = /[\\`*_{}[\]()#+\-.!|<>~&@:=]/g;

/** Text from outside (titles, names, reasons, the source URL) made inert for robot markdown, on one line. */
export function inertMarkdown(text: string): string {
  return oneLine(text).replace(MARKDOWN_ACTIVE, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/** True when `url` lies under one of our own public base URLs (same origin, under its path). */
function isOwnUrl(url: string, bases: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return bases.some((base) => {
    const b = new URL(base);
    const path = b.pathname.endsWith('/') ? b.pathname : `${b.pathname}/`;
    return target.origin === b.origin && `${target.pathname}/`.startsWith(path);
  });
}

/** A markdown link to one of our own pages; anything else is shown as inert text, never as a link. */
export function ownLink(label: string, url: string, bases: readonly string[]): string {
  if (!isOwnUrl(url, bases)) return `${label}:${inertMarkdown(url)}`;
  // Characters that could close the link target or open another link are percent-encoded.
  const target = new URL(url).href.replace(/[()[\]<>'"`\\ ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${label}](${target})`;
}

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
    case 'surge':
      return NOTICE_LABELS.surge;
    case 'hand_off_requested':
      return NOTICE_LABELS.handOffRequested;
    case 'hand_off_refused':
      return NOTICE_LABELS.handOffRefused;
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
 *
 * Titles, names and reasons come from outside (the monitoring platform, the
 * directory), so in the robots' markdown each is made inert: on one line, its
 * markdown characters neutralised, and only our own pages are links (the
 * incident's source URL is shown as text). The plain text keeps them as they are,
 * each on one line.
 */
export function renderNotice(input: NoticeInput): NoticeMessage {
  const { event, incident, to } = input;
  const prefix = `【${heading(event)}】${TIER_LABELS[event.tier]}:`;
  const title = `${prefix}${oneLine(incident.title)}`.slice(0, MAX_TITLE);
  const summary = describeEvent(event, input.unitNames);
  const roles = to.roles.map((r) => ROLE_LABELS[r]).join('、');
  const whom = (name: (text: string) => string) => `${NOTICE_LABELS.recipient}:${to.personName ? `${name(to.personName)},` : ''}${name(to.unitName)}(${roles})`;

  let deadlines: string[];
  let dueAt: string | undefined;
  if (event.type === 'dispatched') {
    const dated = input.unitTasks
      .filter((t): t is { kind: TaskKind; dueAt: string } => t.dueAt !== undefined)
      .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
    deadlines = dated.map((t) => deadlineLine(t.kind, t.dueAt));
    dueAt = dated[0]?.dueAt;
  } else if (event.type === 'surge' || event.type === 'hand_off_refused') {
    // A surge is about the trend; a refused hand-off leaves the unit's own clocks as they were: no deadline to show.
    deadlines = [];
  } else if (event.type === 'hand_off_requested') {
    // The office decides within the review's time (杜绝推诿: quickly, while the unit's clock runs).
    const review = event.data.tasks?.find((t) => t.key === event.data.taskKey);
    deadlines = review?.dueAt ? [deadlineLine('hand_off_review', review.dueAt)] : [];
    dueAt = review?.dueAt;
  } else {
    deadlines = [deadlineLine(event.data.taskKind, event.data.dueAt, overdueMs(event))];
    dueAt = event.data.dueAt;
  }

  const sourceUrl = event.type === 'dispatched' ? event.data.link : incident.sourceUrl;
  const links = { ...(sourceUrl ? { source: sourceUrl } : {}), timeline: input.links.timeline, tasks: input.links.tasks };
  const owner = input.owner && event.type !== 'dispatched' ? input.owner.unitName : undefined;
  const text = [
    title,
    oneLine(summary),
    ...(owner !== undefined ? [`${NOTICE_LABELS.owner}:${oneLine(owner)}`] : []),
    whom(oneLine),
    ...deadlines,
    ...(links.source ? [`${NOTICE_LABELS.source}:${oneLine(links.source)}`] : []),
    `${NOTICE_LABELS.timeline}:${links.timeline}`,
    `${NOTICE_LABELS.unitTasks}:${links.tasks}`,
  ].join('\n');
  const markdown = [
    `### ${`${prefix}${inertMarkdown(incident.title)}`.slice(0, MAX_TITLE)}`,
    `> ${inertMarkdown(summary)}`,
    ...(owner !== undefined ? [`> **${NOTICE_LABELS.owner}:${inertMarkdown(owner)}**`] : []),
    `> ${whom(inertMarkdown)}`,
    ...deadlines.map((d) => `- ${d}`),
    '',
    [
      ...(links.source ? [`${NOTICE_LABELS.source}:${inertMarkdown(links.source)}`] : []),
      ownLink(NOTICE_LABELS.timeline, links.timeline, input.ownBases),
      ownLink(NOTICE_LABELS.unitTasks, links.tasks, input.ownBases),
    ].join(' | '),
  ].join('\n');
  return { title, text, markdown, to, ...(dueAt ? { dueAt } : {}), links };
}
