import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SummaryKind } from './vocabulary';

/**
 * The summary reports' workflow and its one activity (names and shapes only:
 * workflow-safe). A Temporal Schedule per kind starts the workflow; the
 * activity builds the report for the period, stores it and queues its
 * deliveries to the leaders.
 */
export const SUMMARY_REPORT_WORKFLOW_TYPE = 'summaryReportWorkflow';

/** Set by the server on a workflow a schedule started: the run's nominal time (08:00 sharp), or the trigger's time. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** How far back each kind looks from its run: the 24 hours (7 days) up to it. */
export const SUMMARY_PERIOD_MS: Readonly<Record<SummaryKind, number>> = {
  daily: 24 * 3_600_000,
  weekly: 7 * 24 * 3_600_000,
};

export interface SummaryReportWorkflowInput {
  readonly kind: SummaryKind;
}

export interface SummaryReportInput {
  readonly kind: SummaryKind;
  /** The half-open period `[periodStart, periodEnd)`, ISO-8601. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** The run that asked for it (the schedule's workflow), recorded with the report. */
  readonly workflowId: string;
}

export interface SummaryReportResult {
  readonly reportId: string;
  /** False when the report of this period already existed (a retried activity). */
  readonly created: boolean;
  readonly incidents: number;
  /** Deliveries queued to the leaders by this call. */
  readonly deliveries: number;
}

export interface SummaryReportActivities {
  buildSummaryReport(input: SummaryReportInput): Promise<SummaryReportResult>;
}

/** The schedule of a kind: `summary-report-daily` (a prefix keeps test runs apart on a shared server). */
export function summaryScheduleId(kind: SummaryKind, prefix = ''): string {
  return `${prefix}summary-report-${kind}`;
}

/** One count with its code and Chinese label (`key` null: not given, e.g. no district). */
export interface SummaryCount {
  readonly key: string | null;
  readonly label: string;
  readonly count: number;
}

/** The figures of a summary report, as stored with it and shown by the console. */
export interface SummaryFigures {
  readonly period: { readonly from: string; readonly to: string; readonly fromLocal: string; readonly toLocal: string };
  /** Incidents received in the period. */
  readonly incidents: {
    readonly total: number;
    readonly byTier: readonly SummaryCount[];
    readonly byDistrict: readonly SummaryCount[];
    readonly byTopic: readonly SummaryCount[];
    readonly byStatus: readonly SummaryCount[];
  };
  /** At the end of the period, over every incident: still open, open and overdue, open tasks past their deadline. */
  readonly open: { readonly incidents: number; readonly overdueIncidents: number; readonly overdueTasks: number };
  /** Lapses held against each unit in the period, and the escalations they caused. */
  readonly lapsesByUnit: readonly {
    readonly unitId: string | null;
    readonly unitName: string;
    readonly lapses: number;
    readonly unresolved: number;
    readonly escalations: number;
  }[];
  /** The four firsts of the period's incidents: how many reached each, p50 and p90 from intake. */
  readonly fourFirsts: readonly {
    readonly first: string;
    readonly label: string;
    readonly applicable: number;
    readonly reached: number;
    readonly pending: number;
    readonly p50Ms: number | null;
    readonly p90Ms: number | null;
  }[];
}
