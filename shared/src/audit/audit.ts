import type { Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database } from '../db/tables';
import type { Actor } from '../task/task.schema';

export interface AuditEntry {
  readonly actor: Pick<Actor, 'id' | 'kind' | 'unitId'>;
  /** Dotted verb, e.g. `incident.received`, `unit.updated`, `policy.published`. */
  readonly action: string;
  readonly entity: string;
  readonly entityId: string;
  readonly incidentId?: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string | null;
}

/** An entry as its `audit_log` row (for a statement that writes it along with its change). */
export function auditRow(e: AuditEntry) {
  return {
    actorId: e.actor.id,
    actorKind: e.actor.kind,
    unitId: e.actor.unitId ?? null,
    action: e.action,
    incidentId: e.incidentId ?? null,
    entity: e.entity,
    entityId: e.entityId,
    before: e.before === undefined ? null : JSON.stringify(e.before),
    after: e.after === undefined ? null : JSON.stringify(e.after),
    requestId: e.requestId ?? null,
  };
}

/**
 * Appends to the audit log, inside the caller's transaction so that a change and
 * its record commit together. The table refuses updates and deletes.
 */
export async function recordAudit(trx: Transaction<Database> | Db, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries as AuditEntry];
  if (list.length === 0) return;
  await trx.insertInto('auditLog').values(list.map(auditRow)).execute();
}
