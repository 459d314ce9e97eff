import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '@yuqing/activities';

/**
 * The activities are short, idempotent database steps, so they run as local
 * activities: no round trip through the server per step, which is what bounds the
 * first minutes of a burst. No attempt limit: an alert must get through once
 * PostgreSQL is back.
 */
export const LOCAL = { startToCloseTimeout: '30s', retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' } } as const;

export const activities = proxyLocalActivities<Activities>(LOCAL);
