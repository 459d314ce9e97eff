/**
 * The summary reports (舆情日报/周报) for the worker that runs their schedule's
 * workflow: `@yuqing/reporting/summary` (the reporting service itself lists
 * and serves them).
 */
export { createSummaryReportActivities, type SummaryReportDeps } from './summary.activities';
export { documentMaker, type Documents } from '../pdf/pdf-thread';
