import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import {
  NOTICE_LABELS,
  OUTSIDE_REPORT_TASK_KINDS,
  PERSONAL_ROLES,
  type Database,
  type Db,
  type IncidentEvent,
  type NoticeMessage,
  type NoticeRecipient,
  type Recipient,
  type Role,
} from '@yuqing/shared';
import { directoryCacheOf, type DirectoryCache, type DirectorySnapshot } from './directory-cache';
import { insertDeliveries, type NewDelivery } from './delivery.repository';
import { renderReport, renderSignoff } from './forward';
import { isNotifying, renderNotice, type NotifyingEvent } from './notice';
import { SMTP_ENDPOINT } from './senders/email';
import { latestWriting } from '../writings/writing.repository';

/** Records the deliveries an event calls for, inside the consumer's transaction; returns how many. */
export type DeliveryPlanner = (trx: Transaction<Database>, event: IncidentEvent) => Promise<number>;

export interface PlannerOptions {
  /** Public base URLs for the links in messages. */
  readonly links: { readonly dispatch: string; readonly reporting: string };
  /** Who and which channels a message goes to, read from the directory once per few seconds. */
  readonly directory: DirectoryCache;
}

/** The unit and role whose task a chasing event is about (the task as dispatch's read model has it). */
async function lateOwner(trx: Transaction<Database>, event: NotifyingEvent): Promise<Recipient | undefined> {
  if (event.type === 'dispatched' || event.type === 'surge' || event.type === 'hand_off_requested' || event.type === 'hand_off_refused') return undefined;
  if (event.type === 'deadline_lapsed' && event.data.owner.unitId) return event.data.owner;
  const task = await trx
    .selectFrom('tasks')
    .select(['owner', 'unitId'])
    .where('incidentId', '=', event.incidentId)
    .where('key', '=', event.data.taskKey)
    .executeTakeFirst();
  return task?.unitId ? { role: task.owner, unitId: task.unitId } : undefined;
}

/**
 * Who an event is for (plan §5, §6): a warning goes to the assigned units and the
 * roles the tier sends the link to; a reminder or escalation to its `to`, and an
 * escalation also to the unit that is late (督办 presses it as the next level
 * learns); a lapse to the task's owner and the opinion office; a spread surge to the office.
 */
function recipientsOf(event: NotifyingEvent, late: Recipient | undefined): Recipient[] {
  switch (event.type) {
    case 'dispatched':
      return [...event.data.assignments.map((a) => ({ role: a.role, unitId: a.unitId })), ...event.data.notify.map((role) => ({ role }))];
    case 'reminder_sent':
      return [...event.data.to];
    case 'escalated':
      return [...event.data.to, ...(late ? [late] : [])];
    case 'deadline_lapsed':
      return [event.data.owner, { role: 'opinion_office' }];
    case 'surge':
      // The office judges the trend (plan §5): a surge is its alert, whatever the tier.
      return [{ role: 'opinion_office' }];
    case 'hand_off_requested':
      // 杜绝推诿 (plan §8(五)3): the office decides a hand-off, so it hears of it at once.
      return [{ role: 'opinion_office' }];
    case 'hand_off_refused':
      // The unit keeps its part: it must know, its clock is running.
      return [{ role: event.data.role, unitId: event.data.unitId }];
  }
}

/** Recipients by unit, each with the roles it gets the message as; a role without a unit goes where routing sends it. */
function unitsOf(dir: DirectorySnapshot, recipients: readonly Recipient[]): Map<string, Set<Role>> {
  const units = new Map<string, Set<Role>>();
  for (const r of recipients) {
    const unitId = r.unitId ?? dir.roleUnits.get(r.role);
    if (!unitId) continue;
    units.set(unitId, (units.get(unitId) ?? new Set()).add(r.role));
  }
  return units;
}

/**
 * The people of a unit a message goes to personally: the holders of a personal
 * role it is addressed to (the leader in charge, the office director), and for
 * the unit's own part its information officers (舆情信息员, plan §2(一): the
 * default recipient of its warnings) and whoever is on duty now, so that a
 * warning at night still reaches someone. Nobody holds the role yet: the unit's part.
 */
function peopleFor(dir: DirectorySnapshot, unitId: string, roles: ReadonlySet<Role>): { id: string; name: string }[] {
  const personal = [...roles].filter((r) => PERSONAL_ROLES.includes(r));
  const people = new Map<string, string>();
  if (personal.length > 0) {
    for (const p of dir.peopleOf(unitId)) if (p.roles.some((r) => personal.includes(r))) people.set(p.id, p.name);
  }
  if (personal.length < roles.size || people.size === 0) {
    for (const p of dir.peopleOf(unitId)) if (p.roles.includes('information_officer')) people.set(p.id, p.name);
    for (const p of dir.onDutyAt(unitId, Date.now())) people.set(p.personId, p.name);
  }
  return [...people].map(([id, name]) => ({ id, name }));
}

/** The people and enabled channels a message to a unit (as these roles) goes to. */
function reach(dir: DirectorySnapshot, unitId: string, roles: ReadonlySet<Role>) {
  const people = peopleFor(dir, unitId, roles);
  const channels = dir.enabledChannels(
    unitId,
    people.map((p) => p.id),
  );
  return { people, channels };
}

/**
 * The outside bodies among `unitIds` that a report to them would reach on no
 * channel (报送 is then recorded, but nothing is sent: the office must send it
 * another way). Answered to the office with the step.
 */
export async function unreachableBodies(db: Db, unitIds: readonly string[]): Promise<string[]> {
  const dir = await directoryCacheOf(db).get(db);
  return unitIds.filter((unitId) => reach(dir, unitId, new Set(dir.routedRoles.get(unitId) ?? [])).channels.length === 0);
}

/** The incident's title and source link as messages show them. */
async function incidentOf(trx: Transaction<Database>, incidentId: string): Promise<{ title: string; sourceUrl?: string }> {
  const incident = await trx.selectFrom('incidents').select(['title', 'source']).where('id', '=', incidentId).executeTakeFirst();
  const sourceUrl = (incident?.source as { url?: string } | undefined)?.url;
  return { title: incident?.title ?? incidentId, ...(sourceUrl ? { sourceUrl } : {}) };
}

/** A message for one channel of a unit (and the person, for a person's own channel). */
type Render = (to: NoticeRecipient, links: { timeline: string; tasks: string }) => NoticeMessage;

/** The digest's sign-off, once complete (签转). */
function isSignoff(event: IncidentEvent): event is Extract<IncidentEvent, { type: 'approval_recorded' }> {
  return event.type === 'approval_recorded' && event.data.taskKind === 'digest_signoff' && event.data.complete;
}

/** A step that reported to outside bodies (报送), naming them. */
function isReport(event: IncidentEvent): event is Extract<IncidentEvent, { type: 'task_completed' }> & { data: { sendTo: string[] } } {
  return event.type === 'task_completed' && OUTSIDE_REPORT_TASK_KINDS.includes(event.data.taskKind) && (event.data.sendTo?.length ?? 0) > 0;
}

/**
 * Plans the notifications of an event: resolves recipients to units, people and
 * their enabled channels, renders one message per unit and queues one delivery per
 * channel. It runs in the dispatch consumer's transaction, so it only reads and
 * inserts: sending is the delivery worker's job.
 *
 * Besides warnings and chases, two events carry written work on: the digest's
 * completed sign-off goes to the leader in charge with the digest (签转, plan
 * §5(二)), and a step that reported to outside bodies goes to each body's
 * channels with what it reported (报送, §5(四), §7(一)). The delivery rows keep
 * the rendered message: what was sent.
 */
export function createDeliveryPlanner(options: PlannerOptions): DeliveryPlanner {
  const dispatchUrl = options.links.dispatch.replace(/\/+$/, '');
  const reportingUrl = options.links.reporting.replace(/\/+$/, '');
  const ownBases = [dispatchUrl, reportingUrl];
  // Pages of the console (served by reporting) that a person opens from a phone, not the JSON behind them.
  const linksFor = (incidentId: string, unitId: string) => ({
    timeline: `${reportingUrl}/console/incidents/${incidentId}`,
    tasks: `${reportingUrl}/console/tasks?unit=${encodeURIComponent(unitId)}`,
  });

  /** One delivery per enabled channel of each target unit and of its people the message is for. */
  function deliveries(
    dir: DirectorySnapshot,
    event: IncidentEvent,
    targets: ReadonlyMap<string, ReadonlySet<Role>>,
    render: (unitId: string) => Render,
  ): NewDelivery[] {
    const rows: NewDelivery[] = [];
    for (const [unitId, roles] of targets) {
      const unitName = dir.unitNames.get(unitId);
      if (!unitName) continue;
      const { people, channels } = reach(dir, unitId, roles);
      const message = render(unitId);
      for (const channel of channels) {
        const person = channel.personId ? people.find((p) => p.id === channel.personId) : undefined;
        const to = { unitId, unitName, ...(person ? { personId: person.id, personName: person.name } : {}), roles: [...roles] };
        rows.push({
          id: randomUUID(),
          eventId: event.id,
          eventType: event.type,
          incidentId: event.incidentId,
          tier: event.tier,
          channelId: channel.id,
          channelKind: channel.kind,
          // E-mail all goes through the one SMTP relay; every other channel is its own endpoint.
          endpoint: channel.kind === 'email' ? SMTP_ENDPOINT : `channel:${channel.id}`,
          unitId,
          personId: person?.id ?? null,
          personName: person?.name ?? null,
          roles: [...roles],
          message: message(to, linksFor(event.incidentId, unitId)),
          triggeredAt: event.occurredAt,
        });
      }
    }
    return rows;
  }

  async function planNotice(trx: Transaction<Database>, event: NotifyingEvent): Promise<NewDelivery[]> {
    const late = await lateOwner(trx, event);
    const dir = await options.directory.get(trx);
    const targets = unitsOf(dir, recipientsOf(event, late));
    if (targets.size === 0) return [];
    const names = dir.unitNames;
    const owner = late?.unitId && names.has(late.unitId) ? { unitId: late.unitId, unitName: names.get(late.unitId)! } : undefined;
    // A warning carries its title and source link (renderNotice takes the link from it): nothing to read for the commonest notice.
    const incident = event.type === 'dispatched' ? { title: event.data.title, sourceUrl: event.data.link } : await incidentOf(trx, event.incidentId);
    const title = incident.title;
    return deliveries(dir, event, targets, (unitId) => {
      const unitTasks = event.type === 'dispatched' ? (event.data.tasks ?? []).filter((t) => t.unitId === unitId && t.status === 'open') : [];
      return (to, links) =>
        renderNotice({
          event,
          incident: { title, ...(incident.sourceUrl ? { sourceUrl: incident.sourceUrl } : {}) },
          to,
          ...(owner ? { owner } : {}),
          unitTasks: unitTasks.map((t) => ({ kind: t.kind, ...(t.dueAt ? { dueAt: t.dueAt } : {}) })),
          links,
          ownBases,
          unitNames: (id) => names.get(id),
        });
    });
  }

  /** 签转: the signed digest to the leader in charge (its holders' own channels and the unit's). */
  async function planSignoff(trx: Transaction<Database>, event: Extract<IncidentEvent, { type: 'approval_recorded' }>): Promise<NewDelivery[]> {
    const dir = await options.directory.get(trx);
    const targets = unitsOf(dir, [{ role: 'leader_in_charge' }]);
    if (targets.size === 0) return [];
    const names = dir.unitNames;
    const incident = await incidentOf(trx, event.incidentId);
    const digest = await latestWriting(trx, event.incidentId, 'digest');
    return deliveries(
      dir,
      event,
      targets,
      () => (to, links) =>
        renderSignoff({
          tier: event.tier,
          incident,
          to,
          links,
          ownBases,
          approval: event.data.approval,
          digest: digest && { text: digest.text, proposal: digest.proposal, version: digest.version },
          unitNames: (id) => names.get(id),
        }),
    );
  }

  /** 报送: what the step reported, to each named outside body's channels. */
  async function planReport(
    trx: Transaction<Database>,
    event: Extract<IncidentEvent, { type: 'task_completed' }> & { data: { sendTo: string[] } },
  ): Promise<NewDelivery[]> {
    const dir = await options.directory.get(trx);
    const targets = new Map(event.data.sendTo.map((unitId) => [unitId, new Set(dir.routedRoles.get(unitId) ?? [])]));
    const names = dir.unitNames;
    const incident = await incidentOf(trx, event.incidentId);
    const actor = event.data.actor;
    const from = (actor?.unitId && names.get(actor.unitId)) || (actor?.name ?? actor?.id ?? '');
    let work: Parameters<typeof renderReport>[0]['work'];
    if (event.data.taskKind === 'talking_points_reported') {
      // The talking points as approved: the newest approved version (a later draft under way is not what was reported).
      const approved =
        (await latestWriting(trx, event.incidentId, 'talking_points_wording', { approved: true })) ??
        (await latestWriting(trx, event.incidentId, 'talking_points_wording'));
      work = {
        label: NOTICE_LABELS.talkingPoints,
        text: approved?.text,
        ...(approved ? { version: approved.version, approved: approved.approvedAt !== null } : {}),
      };
    } else {
      work = { label: NOTICE_LABELS.upwardReport, textLabel: NOTICE_LABELS.reportText, text: event.data.content?.text ?? event.data.note };
    }
    return deliveries(
      dir,
      event,
      targets,
      () => (to, links) => renderReport({ tier: event.tier, incident, to, links, ownBases, taskKind: event.data.taskKind, from, work }),
    );
  }

  return async (trx, event) => {
    let rows: NewDelivery[] = [];
    if (isNotifying(event)) rows = await planNotice(trx, event);
    else if (isSignoff(event)) rows = await planSignoff(trx, event);
    else if (isReport(event)) rows = await planReport(trx, event);
    return insertDeliveries(trx, rows);
  };
}
