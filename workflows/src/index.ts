/** Workflow entry point bundled for the worker: export every workflow function here. */
export { incidentWorkflow } from './incident/incident.workflow';
export { summaryReportWorkflow } from './reports/summary-report.workflow';
