import { sql, type Transaction } from 'kysely';
import { APPROVED_WRITING, WRITTEN_TASK_KINDS, type Actor, type Database, type IncidentEvent, type TaskKind } from '@yuqing/shared';

/** A piece of written work as dispatch forwards it. */
export interface Writing {
  readonly taskKind: TaskKind;
  readonly version: number;
  readonly text: string;
  readonly proposal: string | null;
  readonly writtenBy: Actor;
  readonly writtenAt: Date;
  readonly approvedAt: Date | null;
}

/**
 * Keeps `writings` from the events, in the consumer's transaction: the digest
 * (`digest_ready`), each version of the talking points and the response plan
 * (`task_completed` with a version), and when an approval of a version completes.
 * A redelivered event changes nothing.
 */
export async function recordWriting(trx: Transaction<Database>, event: IncidentEvent): Promise<void> {
  if (event.type === 'digest_ready') {
    // A digest written again (returned, re-done) is its next version.
    await sql`
      insert into writings (event_id, incident_id, task_kind, version, text, proposal, written_by, written_at)
      select ${event.id}, ${event.incidentId}, 'digest', coalesce(max(version), 0) + 1, ${event.data.text}, ${event.data.proposal ?? null},
             ${JSON.stringify(event.data.actor)}::jsonb, ${event.occurredAt}
        from writings where incident_id = ${event.incidentId} and task_kind = 'digest'
      on conflict (event_id) do nothing`.execute(trx);
  } else if (event.type === 'task_completed' && event.data.version !== undefined && WRITTEN_TASK_KINDS.includes(event.data.taskKind)) {
    await trx
      .insertInto('writings')
      .values({
        eventId: event.id,
        incidentId: event.incidentId,
        taskKind: event.data.taskKind,
        version: event.data.version,
        text: event.data.content?.text ?? '',
        proposal: null,
        writtenBy: JSON.stringify(event.data.actor),
        writtenAt: event.occurredAt,
      })
      .onConflict((oc) => oc.column('eventId').doNothing())
      .execute();
  } else if (event.type === 'approval_recorded' && event.data.complete && event.data.version !== undefined) {
    const kind = APPROVED_WRITING[event.data.taskKind];
    if (!kind) return;
    await trx
      .updateTable('writings')
      .set({ approvedAt: event.occurredAt })
      .where('incidentId', '=', event.incidentId)
      .where('taskKind', '=', kind)
      .where('version', '=', event.data.version)
      .where('approvedAt', 'is', null)
      .execute();
  }
}

const COLUMNS = ['taskKind', 'version', 'text', 'proposal', 'writtenBy', 'writtenAt', 'approvedAt'] as const;

/** The newest version of an incident's written work of a kind; with `approved`, the newest approved one. */
export async function latestWriting(
  trx: Transaction<Database>,
  incidentId: string,
  kind: TaskKind,
  options: { approved?: boolean } = {},
): Promise<Writing | undefined> {
  let q = trx.selectFrom('writings').select(COLUMNS).where('incidentId', '=', incidentId).where('taskKind', '=', kind);
  if (options.approved) q = q.where('approvedAt', 'is not', null);
  return q.orderBy('version', 'desc').limit(1).executeTakeFirst();
}
