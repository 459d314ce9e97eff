import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { INCIDENT_STATUS_LABELS, SEARCH_ATTRIBUTES, TASK_LABELS, TIER_LABELS, type IncidentStatus, type Tier } from '@yuqing/shared/domain';
import type { TaskBook } from './task-book';

/** Beijing time for the details shown in the Web UI. */
export function beijing(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * What operators see of an incident in the Temporal Web UI: the search attributes
 * they filter on (tier, status, Overdue), upserted only when one changes, and the
 * current details (open tasks with their deadlines in Beijing time).
 */
export class IncidentVisibility {
  private shown = { tier: '', status: '', overdue: false };
  /** The district intake set at start; upserted only when a hand-off moves it. */
  private district: string | undefined;

  constructor(district?: string) {
    this.district = district;
  }

  /** A hand-off moved the incident to another district: operators filtering by district find it there. */
  moveDistrict(district: string): void {
    if (district === this.district) return;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.district, value: district }]);
    this.district = district;
  }

  sync(incident: { readonly tier: Tier; readonly status: IncidentStatus; readonly policyVersion: string | undefined }, book: TaskBook): void {
    const { tier, status } = incident;
    const overdue = book.anyOverdue();
    if (this.shown.tier !== tier || this.shown.status !== status || this.shown.overdue !== overdue) {
      upsertSearchAttributes([
        { key: SEARCH_ATTRIBUTES.tier, value: tier },
        { key: SEARCH_ATTRIBUTES.status, value: status },
        { key: SEARCH_ATTRIBUTES.overdue, value: overdue },
      ]);
      this.shown = { tier, status, overdue };
    }
    const lines = book
      .list()
      .filter((t) => t.status === 'open' || t.status === 'waiting')
      .map(
        (t) =>
          `- ${t.overdue ? '⚠ 已超时 ' : ''}${TASK_LABELS[t.kind]}${t.unitId ? `(${t.unitId})` : ''}${t.dueAt ? ` — 截止 ${beijing(t.dueAt)}` : ''}${t.status === 'waiting' ? ' (待启动)' : ''}`,
      );
    setCurrentDetails(
      [
        `**${TIER_LABELS[tier]}** · ${INCIDENT_STATUS_LABELS[status]} · 策略 ${incident.policyVersion ?? '-'}`,
        '',
        ...(lines.length ? lines : ['(无待办事项)']),
      ].join('\n'),
    );
  }
}
