import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { AlertRecord, IncidentRowChange } from '@yuqing/activities';
import {
  EVENT_SCHEMA_VERSION,
  type DistrictCode,
  type EventDataMap,
  type EventType,
  type IncidentEvent,
  type IncidentStatus,
  type Tier,
} from '@yuqing/shared/domain';
import { activities, LOCAL } from './activities';
import type { Task, TaskBook } from './task-book';

/** Marks histories whose events are recorded by `recordEvents` (earlier ones called it `publishEvents`). */
export const RECORD_EVENTS_PATCH = 'record-events';

/** What the recorder reads of the incident at the moment it records. */
export interface IncidentFacts {
  readonly tier: Tier;
  readonly status: IncidentStatus;
  readonly policyVersion: string | undefined;
  /** Only once a hand-off moved the incident to another district. */
  readonly districtCode?: DistrictCode;
}

/**
 * Writes down what the incident's workflow decided: its events (ids derived from
 * the workflow id and a step sequence, so a retried activity publishes nothing
 * twice), the row change that follows them, and alerts. Recording goes through
 * the outbox; the relay publishes.
 */
export class IncidentRecorder {
  private eventSeq = 0;
  private rowSeq = 0;
  private readonly workflowId = workflowInfo().workflowId;

  constructor(
    private readonly incidentId: string,
    private readonly book: TaskBook,
    private readonly facts: () => IncidentFacts,
    /** False for workflows started before the `record-events` patch: they call the activity by its old name. */
    private readonly recordEventsByName: boolean,
  ) {}

  /** An event of this incident, carrying the tasks it changed. */
  event<T extends EventType>(type: T, data: EventDataMap[T], occurredAt = new Date(Date.now()).toISOString()): IncidentEvent {
    const tasks = this.book.takeChanged();
    return {
      id: `${this.workflowId}#${String(++this.eventSeq).padStart(4, '0')}.${type}`,
      type,
      incidentId: this.incidentId,
      tier: this.facts().tier,
      occurredAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: tasks.length > 0 ? { ...data, tasks } : data,
    } as IncidentEvent;
  }

  private rowChange(): IncidentRowChange & { seq: number } {
    const { tier, status, policyVersion, districtCode } = this.facts();
    return {
      tier,
      status,
      overdue: this.book.anyOverdue(),
      ...(policyVersion ? { policyVersion } : {}),
      ...(districtCode ? { districtCode } : {}),
      seq: ++this.rowSeq,
    };
  }

  /** Records events (and resolves the alerts of the tasks they finished) in one transaction. */
  async record(summary: string, events: IncidentEvent[], done: readonly Task[] = []): Promise<void> {
    const resolveAlertsOf = done.filter((t) => t.lapsedAt).map((t) => t.key);
    const recordEvents = this.recordEventsByName ? activities.recordEvents : activities.publishEvents;
    await recordEvents.executeWithOptions({ ...LOCAL, summary }, [
      { incidentId: this.incidentId, events, incident: this.rowChange(), ...(resolveAlertsOf.length ? { resolveAlertsOf } : {}) },
    ]);
  }

  /** Stores an alert with its event; never cancelled half-way, even when its watcher is. */
  async raise(summary: string, alert: AlertRecord, event: IncidentEvent): Promise<void> {
    await CancellationScope.nonCancellable(() =>
      activities.raiseAlert.executeWithOptions({ ...LOCAL, summary }, [{ alert, event, incident: this.rowChange() }]),
    );
  }
}
