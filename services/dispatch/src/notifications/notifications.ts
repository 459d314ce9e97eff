import { createEventRelay, type ChannelKind, type Config, type Db, type EventBus, type Logger } from '@yuqing/shared';
import { DeliveryWorker } from './delivery-worker';
import { createDeliveryPlanner, type DeliveryPlanner } from './planner';
import { createEmailSender } from './senders/email';
import { createDingtalkSender, createWecomSender } from './senders/robots';
import type { Sender } from './senders/sender';
import { createWebhookSender } from './senders/webhook';

export interface Notifications {
  /** For the dispatch consumer: records what an event calls for. */
  readonly plan: DeliveryPlanner;
  readonly worker: DeliveryWorker;
  /** Wakes the delivery worker (after the consumer or an operator queued work). */
  wake(): void;
  start(): Notifications;
  stop(): Promise<void>;
}

export type NotificationSettings = Pick<
  Config,
  | 'DISPATCH_PUBLIC_URL'
  | 'REPORTING_PUBLIC_URL'
  | 'SMTP_URL'
  | 'SMTP_FROM'
  | 'NOTIFY_TIMEOUT_MS'
  | 'NOTIFY_MAX_ATTEMPTS'
  | 'NOTIFY_RETRY_BASE_MS'
  | 'NOTIFY_ENDPOINT_CONCURRENCY'
  | 'NOTIFY_CONCURRENCY'
  | 'NOTIFY_POLL_MS'
  | 'OUTBOX_POLL_MS'
>;

/**
 * Notifications in the dispatch process: the planner the consumer calls, the
 * delivery worker, and an event relay so that each outcome's `notified` event
 * reaches the timeline without waiting for the worker's relay to poll.
 */
export function createNotifications(deps: { db: Db; config: NotificationSettings; log: Logger; bus: () => EventBus | undefined }): Notifications {
  const { db, config, log } = deps;
  const relay = createEventRelay({ db, bus: deps.bus, log, pollMs: config.OUTBOX_POLL_MS });
  const senders: Record<ChannelKind, Sender> = {
    webhook: createWebhookSender(),
    wecom: createWecomSender(),
    dingtalk: createDingtalkSender(),
    email: createEmailSender({ url: config.SMTP_URL, from: config.SMTP_FROM, timeoutMs: config.NOTIFY_TIMEOUT_MS }),
  };
  const worker = new DeliveryWorker({
    db,
    log,
    senders,
    timeoutMs: config.NOTIFY_TIMEOUT_MS,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
    endpointConcurrency: config.NOTIFY_ENDPOINT_CONCURRENCY,
    concurrency: config.NOTIFY_CONCURRENCY,
    pollMs: config.NOTIFY_POLL_MS,
    onOutcome: () => relay.wake(),
  });
  const plan = createDeliveryPlanner({ links: { dispatch: config.DISPATCH_PUBLIC_URL, reporting: config.REPORTING_PUBLIC_URL } });
  const notifications: Notifications = {
    plan,
    worker,
    wake: () => worker.wake(),
    start() {
      relay.start();
      worker.start();
      return notifications;
    },
    async stop() {
      await worker.stop();
      await relay.stop();
      await Promise.all(Object.values(senders).map((s) => s.close?.()));
    },
  };
  return notifications;
}
