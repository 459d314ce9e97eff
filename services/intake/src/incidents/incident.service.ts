import type { Db, IncidentInput } from '@yuqing/shared';
import type { Principal } from '@yuqing/http-kit';
import { correlationRules } from '../reports/correlation-policy';
import { ReportService, type AcceptedReport } from '../reports/report.service';

export type { StartWorkflowCommand } from '@yuqing/shared';
export type { WorkflowUpdateCommand } from './workflow-updater';

/**
 * Reports one incident as `POST /v1/incidents` does: a report that opens its own
 * incident (or, with a caller id already seen, a new sighting of that incident).
 * For callers outside the HTTP routes: tests, tools.
 */
export async function acceptIncident(
  db: Db,
  principal: Principal,
  input: IncidentInput,
  options: { idempotencyKey?: string; requestId?: string },
): Promise<AcceptedReport> {
  return new ReportService(db, correlationRules(db)).accept(principal, input, { ...options, mode: 'open' });
}
