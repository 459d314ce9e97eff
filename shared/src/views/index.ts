export * from './unit-names';
export * from './incident.view';
export * from './task.view';
export * from './alert.view';
