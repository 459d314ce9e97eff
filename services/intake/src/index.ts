export * from './app';
export * from './incidents/incident.service';
export * from './incidents/workflow-starter';
export * from './incidents/workflow-updater';
export * from './reports/report.service';
export * from './reports/correlation-policy';
