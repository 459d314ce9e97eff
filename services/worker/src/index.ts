export * from './worker';
export { buildBundle, BUNDLE_PATH } from './bundle';
export { ensureSummarySchedules, type SummaryScheduleSettings } from './summary-schedules';
