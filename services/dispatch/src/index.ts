export * from './app';
export * from './consumers/task-projection';
export * from './workflow/incident-workflow.client';
export * from './notifications';
