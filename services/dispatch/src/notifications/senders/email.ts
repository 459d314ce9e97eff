import { createTransport } from 'nodemailer';
import { DELIVERY_HEADERS, DeliveryFailure, networkFailure, type ChannelTarget, type Outgoing, type Sender } from './sender';

/** Connections kept to the SMTP relay; also the e-mail queue's concurrency. */
export const SMTP_CONNECTIONS = 5;

/** The one queue every e-mail waits in: they all go through the same relay. */
export { SMTP_ENDPOINT } from '@yuqing/shared';

export interface EmailSenderOptions {
  /** `smtp://` or `smtps://` URL of the relay; unset, e-mail deliveries fail at once (dead letter). */
  readonly url?: string | undefined;
  readonly from: string;
  readonly timeoutMs: number;
}

/**
 * E-mail over SMTP with a pooled nodemailer transport. The Message-ID is derived
 * from the delivery id, so a repeated attempt is recognisably the same message.
 */
export function createEmailSender(options: EmailSenderOptions): Sender {
  const transport = options.url
    ? createTransport({
        url: options.url,
        pool: true,
        maxConnections: SMTP_CONNECTIONS,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
      })
    : undefined;
  return {
    async send(d: Outgoing, channel: ChannelTarget, signal: AbortSignal) {
      if (!transport) throw new DeliveryFailure('SMTP not configured (SMTP_URL)', false);
      try {
        await transport.sendMail({
          from: options.from,
          to: channel.address,
          subject: d.message.title,
          text: d.message.text,
          messageId: `<${d.deliveryId}@yuqing.invalid>`,
          headers: { [DELIVERY_HEADERS.eventId]: d.eventId, [DELIVERY_HEADERS.deliveryId]: d.deliveryId, [DELIVERY_HEADERS.attempt]: String(d.attempt) },
          // Base64 keeps Chinese text compact and intact through any relay.
          textEncoding: 'base64',
          signal,
        });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        // 5xx: the relay refused for good (no such mailbox); 4xx: try later.
        if (typeof code === 'number') throw new DeliveryFailure(`SMTP ${code}`, code < 500, code);
        throw networkFailure(err, signal);
      }
      return {};
    },
    close() {
      transport?.close();
    },
  };
}
