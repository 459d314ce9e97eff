import {
  createEventRelay,
  isSealed,
  openChannelField,
  secretBoxFromConfig,
  SecretUnreadable,
  type ChannelKind,
  type Config,
  type Db,
  type EventBus,
  deliveriesCounter,
  type Logger,
  type Registry,
  type SealedChannelField,
  type SecretBox,
} from '@yuqing/shared';
import { DeliveryWorker } from './delivery-worker';
import { createOutboundPolicy } from './outbound/address-policy';
import type { Resolver } from './outbound/destination';
import { createGuardedAgent } from './outbound/guarded-agent';
import { directoryCacheOf } from './directory-cache';
import { createDeliveryPlanner, type DeliveryPlanner } from './planner';
import { createEmailSender } from './senders/email';
import { createDingtalkSender, createWecomSender } from './senders/robots';
import { DeliveryFailure, type Sender } from './senders/sender';
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
  | 'NOTIFY_ALLOW_HOSTS'
  | 'OUTBOX_POLL_MS'
  | 'NODE_ENV'
  | 'SECRETS_KEY'
  | 'SECRETS_OLD_KEYS'
>;

/**
 * Opens a channel's stored address or secret for one attempt (a plaintext one from
 * before sealing is used as it is: see openChannelField).
 */
function channelOpener(box: SecretBox, log: Logger): (field: SealedChannelField, stored: string, channelId: string) => string {
  let warned = false;
  return (field, stored, channelId) => {
    if (!isSealed(stored) && !warned) {
      log.warn({ channelId, field }, 'a channel address or secret is still in plaintext: restart dispatch or run admin.js rotate-secrets to seal it');
      warned = true;
    }
    try {
      return openChannelField(box, field, stored, channelId);
    } catch (err) {
      if (err instanceof SecretUnreadable) throw new DeliveryFailure(`${field} unreadable`, false);
      throw err;
    }
  };
}

/**
 * Notifications in the dispatch process: the planner the consumer calls, the
 * delivery worker, and an event relay so that each outcome's `notified` event
 * reaches the timeline without waiting for the worker's relay to poll.
 */
export function createNotifications(deps: {
  db: Db;
  config: NotificationSettings;
  log: Logger;
  bus: () => EventBus | undefined;
  /** How host names are resolved before connecting (the system resolver; tests stand in a name server). */
  resolve?: Resolver;
  /** Where delivery outcomes are counted (`yuqing_deliveries_total`). */
  metrics?: Registry;
}): Notifications {
  const { db, config, log } = deps;
  const relay = createEventRelay({ db, bus: deps.bus, log, pollMs: config.OUTBOX_POLL_MS });
  const agent = createGuardedAgent(createOutboundPolicy(config.NOTIFY_ALLOW_HOSTS), {
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
    connectTimeoutMs: config.NOTIFY_TIMEOUT_MS,
  });
  const senders: Record<ChannelKind, Sender> = {
    webhook: createWebhookSender(agent),
    wecom: createWecomSender(agent),
    dingtalk: createDingtalkSender(agent),
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
    openChannel: channelOpener(secretBoxFromConfig(config), log),
    onOutcome: () => relay.wake(),
    ...(deps.metrics ? { counted: deliveriesCounter(deps.metrics) } : {}),
  });
  const plan = createDeliveryPlanner({
    links: { dispatch: config.DISPATCH_PUBLIC_URL, reporting: config.REPORTING_PUBLIC_URL },
    directory: directoryCacheOf(db),
  });
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
      await Promise.all(Object.values(senders).map(async (s) => s.close?.()));
      await agent.close();
    },
  };
  return notifications;
}
