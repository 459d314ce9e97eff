import {
  formatBeijing,
  NOTICE_LABELS,
  ROLE_LABELS,
  TIER_LABELS,
  versionLabel,
  type Actor,
  type Approval,
  type NoticeMessage,
  type NoticeRecipient,
  type TaskKind,
  type Tier,
} from '@yuqing/shared';
import { inertMarkdown, oneLine, ownLink } from './notice';

const MAX_TITLE = 120;

/** Written text kept in its lines (a digest, talking points), each line on its own, empty ones dropped. */
function lines(text: string): string[] {
  return text
    .split(/\r\n|[\n\r\u2028\u2029]/)
    .map(oneLine)
    .filter((l) => l.length > 0);
}

/** A person as a message names them: their name (or key id), with their unit when known. */
export function actorLabel(actor: Actor, unitNames: (id: string) => string | undefined): string {
  const unit = actor.unitId ? unitNames(actor.unitId) : undefined;
  const name = actor.name ?? actor.id;
  return unit ? `${name}(${unit})` : name;
}

interface Common {
  readonly tier: Tier;
  readonly incident: { readonly title: string };
  readonly to: NoticeRecipient;
  readonly links: { readonly timeline: string; readonly tasks: string };
  /** Our own public base URLs: the only places robot messages link to. */
  readonly ownBases: readonly string[];
}

/** A message whose body is written work: heading, who and when, the text itself, then the links. */
function render(
  c: Common,
  heading: string,
  header: readonly string[],
  sections: readonly { label: string; text: string }[],
  forwarded: NoticeMessage['forwarded'],
): NoticeMessage {
  const prefix = `【${heading}】${TIER_LABELS[c.tier]}:`;
  const title = `${prefix}${oneLine(c.incident.title)}`.slice(0, MAX_TITLE);
  const roles = c.to.roles.length > 0 ? `(${c.to.roles.map((r) => ROLE_LABELS[r]).join('、')})` : '';
  const whom = (name: (s: string) => string) =>
    `${NOTICE_LABELS.recipient}:${c.to.personName ? `${name(c.to.personName)},` : ''}${name(c.to.unitName)}${roles}`;
  const text = [
    title,
    ...header.map(oneLine),
    whom(oneLine),
    ...sections.flatMap((s) => [`${s.label}:`, ...lines(s.text)]),
    `${NOTICE_LABELS.timeline}:${c.links.timeline}`,
  ].join('\n');
  const markdown = [
    `### ${`${prefix}${inertMarkdown(c.incident.title)}`.slice(0, MAX_TITLE)}`,
    ...header.map((h) => `> ${inertMarkdown(h)}`),
    `> ${whom(inertMarkdown)}`,
    ...sections.flatMap((s) => ['', `**${s.label}**`, ...lines(s.text).map((l) => `> ${inertMarkdown(l)}`)]),
    '',
    ownLink(NOTICE_LABELS.timeline, c.links.timeline, c.ownBases),
  ].join('\n');
  return { title, text, markdown, to: c.to, links: c.links, ...(forwarded ? { forwarded } : {}) };
}

/**
 * 签转 (plan §5(二)): the office director signed off the 《舆情摘报》, and it goes to
 * the leader in charge with its text, the proposed handling (拟办意见), who signed
 * and when. The digest's text comes from `writings` (dispatch keeps it from `digest_ready`).
 */
export function renderSignoff(
  c: Common & {
    readonly approval: Approval;
    readonly digest: { readonly text: string; readonly proposal: string | null; readonly version: number } | undefined;
    readonly unitNames: (id: string) => string | undefined;
  },
): NoticeMessage {
  const a = c.approval;
  const signed = `${NOTICE_LABELS.signedBy}:${actorLabel(a.actor, c.unitNames)}(${ROLE_LABELS[a.role]}),${formatBeijing(a.at)}(${NOTICE_LABELS.beijingTime})`;
  const header = [signed, ...(a.comment ? [`${NOTICE_LABELS.comment}:${a.comment}`] : [])];
  const sections = [
    { label: NOTICE_LABELS.digestText, text: c.digest?.text ?? NOTICE_LABELS.noText },
    ...(c.digest?.proposal ? [{ label: NOTICE_LABELS.proposal, text: c.digest.proposal }] : []),
  ];
  return render(c, NOTICE_LABELS.signoff, header, sections, { taskKind: 'digest_signoff', ...(c.digest ? { version: c.digest.version } : {}) });
}

/**
 * 报送 (plan §5(四), §7(一)): what a step reports to an outside body, as sent to that
 * body's channel: the approved talking points with their version, or the report upward.
 */
export function renderReport(
  c: Common & {
    readonly taskKind: TaskKind;
    /** The reporting unit (the office, the leadership group). */
    readonly from: string;
    /** What is reported (回应口径, 舆情情况报告), the label of its text, and its version where it has one. */
    readonly work: {
      readonly label: string;
      readonly textLabel?: string;
      readonly text: string | undefined;
      readonly version?: number;
      readonly approved?: boolean;
    };
  },
): NoticeMessage {
  const w = c.work;
  const version = w.version !== undefined ? `(${versionLabel(w.version)}${w.approved ? `,${NOTICE_LABELS.approved}` : ''})` : '';
  const label = `${w.textLabel ?? w.label}${version}`;
  return render(c, `${NOTICE_LABELS.report}·${w.label}`, [`${NOTICE_LABELS.reportedBy}:${c.from}`], [{ label, text: w.text ?? NOTICE_LABELS.noText }], {
    taskKind: c.taskKind,
    ...(w.version !== undefined ? { version: w.version } : {}),
  });
}
