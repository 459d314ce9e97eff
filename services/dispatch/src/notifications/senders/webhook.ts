import { createHmac } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { DELIVERY_HEADERS, expectSuccess, postJson, type ChannelTarget, type Outgoing, type Sender } from './sender';

/**
 * How far a receiver should accept a delivery's timestamp from its own clock
 * (docs/webhooks.md). Each attempt is signed afresh, so a retry is never stale.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` under the channel's secret. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** The JSON a generic webhook receives (docs/webhooks.md). */
export function webhookBody(d: Outgoing, sentAt: Date): string {
  return JSON.stringify({
    deliveryId: d.deliveryId,
    eventId: d.eventId,
    eventType: d.eventType,
    incidentId: d.incidentId,
    tier: d.tier,
    ...(d.summaryReportId ? { summaryReportId: d.summaryReportId } : {}),
    attempt: d.attempt,
    sentAt: sentAt.toISOString(),
    to: d.message.to,
    title: d.message.title,
    text: d.message.text,
    ...(d.message.dueAt ? { dueAt: d.message.dueAt } : {}),
    links: d.message.links,
    ...(d.message.forwarded ? { forwarded: d.message.forwarded } : {}),
  });
}

/** A generic HTTPS webhook, signed with the channel's secret when it has one; sent through `dispatcher` (the guarded agent). */
export function createWebhookSender(dispatcher: Dispatcher): Sender {
  return {
    async send(d: Outgoing, channel: ChannelTarget, signal: AbortSignal) {
      const now = new Date();
      const timestamp = Math.floor(now.getTime() / 1000);
      const body = webhookBody(d, now);
      const headers: Record<string, string> = {
        [DELIVERY_HEADERS.eventId]: d.eventId,
        [DELIVERY_HEADERS.deliveryId]: d.deliveryId,
        [DELIVERY_HEADERS.attempt]: String(d.attempt),
        [DELIVERY_HEADERS.timestamp]: String(timestamp),
        ...(channel.secret ? { [DELIVERY_HEADERS.signature]: webhookSignature(channel.secret, timestamp, body) } : {}),
      };
      const { status } = await postJson(dispatcher, channel.address, body, headers, signal);
      expectSuccess(status);
      return { statusCode: status };
    },
  };
}
