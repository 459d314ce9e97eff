import { createHmac } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { DELIVERY_HEADERS, DeliveryFailure, expectSuccess, postJson, type ChannelTarget, type Outgoing, type Sender } from './sender';

/** WeCom caps a markdown message at 4096 bytes of UTF-8. */
const WECOM_MAX_BYTES = 4_096;

function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = text;
  while (Buffer.byteLength(`${out}…`, 'utf8') > max) out = out.slice(0, -1);
  return `${out}…`;
}

/** The group robots answer 200 with `{"errcode":0,"errmsg":"ok"}`; anything else failed. */
function expectRobotOk(status: number, text: string): void {
  expectSuccess(status);
  let errcode: unknown;
  try {
    errcode = (JSON.parse(text) as { errcode?: unknown }).errcode;
  } catch {
    throw new DeliveryFailure('robot answered no JSON', true, status);
  }
  // Vendors' codes mix rate limits with misconfiguration; retrying ends in the dead-letter list either way.
  if (errcode !== 0) throw new DeliveryFailure(`robot errcode ${String(errcode)}`, true, status);
}

const dedupeHeaders = (d: Outgoing) => ({
  [DELIVERY_HEADERS.eventId]: d.eventId,
  [DELIVERY_HEADERS.deliveryId]: d.deliveryId,
  [DELIVERY_HEADERS.attempt]: String(d.attempt),
});

/** The body a WeCom (企业微信) group robot takes. */
export function wecomBody(d: Outgoing): string {
  return JSON.stringify({ msgtype: 'markdown', markdown: { content: truncateBytes(d.message.markdown, WECOM_MAX_BYTES) } });
}

/** The body a DingTalk (钉钉) group robot takes. */
export function dingtalkBody(d: Outgoing): string {
  return JSON.stringify({ msgtype: 'markdown', markdown: { title: d.message.title, text: d.message.markdown } });
}

/**
 * DingTalk's 加签: the robot URL gets `timestamp` (ms) and `sign`, the base64
 * HMAC-SHA256 of `<timestamp>\n<secret>` under the secret.
 */
export function dingtalkSignedUrl(address: string, secret: string, now = Date.now()): string {
  const sign = createHmac('sha256', secret).update(`${now}\n${secret}`, 'utf8').digest('base64');
  const url = new URL(address);
  url.searchParams.set('timestamp', String(now));
  url.searchParams.set('sign', sign);
  return url.toString();
}

/** A WeCom group robot, sent through `dispatcher` (the guarded agent). */
export function createWecomSender(dispatcher: Dispatcher): Sender {
  return {
    async send(d: Outgoing, channel: ChannelTarget, signal: AbortSignal) {
      const { status, text } = await postJson(dispatcher, channel.address, wecomBody(d), dedupeHeaders(d), signal);
      expectRobotOk(status, text);
      return { statusCode: status };
    },
  };
}

/** A DingTalk group robot, signed (加签) when the channel has a secret; sent through `dispatcher`. */
export function createDingtalkSender(dispatcher: Dispatcher): Sender {
  return {
    async send(d: Outgoing, channel: ChannelTarget, signal: AbortSignal) {
      const url = channel.secret ? dingtalkSignedUrl(channel.address, channel.secret) : channel.address;
      const { status, text } = await postJson(dispatcher, url, dingtalkBody(d), dedupeHeaders(d), signal);
      expectRobotOk(status, text);
      return { statusCode: status };
    },
  };
}
