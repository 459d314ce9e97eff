import { request, type Dispatcher } from 'undici';
import type { ChannelKind, Tier } from '@yuqing/shared';
import type { NoticeMessage } from '../notice';
import { isBlockedAddress } from '../outbound/guarded-agent';

/** One attempt of one delivery, as a sender sees it. */
export interface Outgoing {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The incident, for an incident's event; null for a summary report (舆情日报/周报). */
  readonly incidentId: string | null;
  readonly tier: Tier | null;
  readonly summaryReportId: string | null;
  /** 1 for the first attempt; retries count up (an operator's retry starts again at 1). */
  readonly attempt: number;
  readonly message: NoticeMessage;
}

/** Where it goes: contact data, read from the channel at send time and never logged. */
export interface ChannelTarget {
  readonly kind: ChannelKind;
  readonly address: string;
  /** The secret in plaintext, opened for this attempt only. */
  readonly secret: string | null;
}

/** Sends one attempt; resolves when the receiver accepted it, throws a DeliveryFailure otherwise. */
export interface Sender {
  send(delivery: Outgoing, channel: ChannelTarget, signal: AbortSignal): Promise<{ readonly statusCode?: number }>;
  close?(): Promise<void> | void;
}

/**
 * Why an attempt failed. `reason` is coarse (`HTTP 503`, `timeout`, `ECONNREFUSED`)
 * and never holds an address: it goes into the delivery log and the timeline.
 */
export class DeliveryFailure extends Error {
  readonly code = 'DELIVERY_FAILED';
  constructor(
    readonly reason: string,
    /** False when trying again cannot help (HTTP 404, SMTP 550, no SMTP relay configured). */
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(reason);
    this.name = 'DeliveryFailure';
  }
}

/** Headers every HTTP delivery carries, so receivers can deduplicate (by event id) and verify. */
export const DELIVERY_HEADERS = {
  eventId: 'x-yuqing-event-id',
  deliveryId: 'x-yuqing-delivery-id',
  attempt: 'x-yuqing-attempt',
  timestamp: 'x-yuqing-timestamp',
  signature: 'x-yuqing-signature',
} as const;

/** A failure of the network or of the time allowed, never with the address in it. */
export function networkFailure(err: unknown, signal: AbortSignal): DeliveryFailure {
  // The outbound policy refused the address: trying again reaches the same one.
  if (isBlockedAddress(err)) return new DeliveryFailure('blocked address', false);
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (signal.aborted || e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError')
    return new DeliveryFailure('timeout', true);
  const code = e?.cause?.code ?? e?.code;
  return new DeliveryFailure(code && /^[A-Z_]+$/.test(code) ? code : 'network error', true);
}

/** HTTP statuses worth trying again: the receiver is busy, down or slow. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

/** The most of an answer's body that is read: robots answer a line of JSON, webhooks need not answer anything. */
export const MAX_ANSWER_BYTES = 65_536;

/** Reads a body up to `max` bytes and drops the connection past that, however much the receiver would send. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = max - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    // Leaving the loop destroys the stream, which aborts the rest of the answer.
    if (size >= max) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POSTs a JSON body through `dispatcher` (the guarded agent); answers the status
 * and up to MAX_ANSWER_BYTES of the body. Redirects are not followed: a 3xx is
 * the answer, and a failure (a receiver that moved must be reconfigured).
 */
export async function postJson(
  dispatcher: Dispatcher,
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  try {
    const res = await request(url, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'yuqing-dispatch/0.1', ...headers },
      body,
      signal,
    });
    return { status: res.statusCode, text: await readCapped(res.body, MAX_ANSWER_BYTES) };
  } catch (err) {
    throw networkFailure(err, signal);
  }
}

/** Throws unless the answer is a 2xx. */
export function expectSuccess(status: number): void {
  if (status >= 200 && status < 300) return;
  throw new DeliveryFailure(`HTTP ${status}`, retryableStatus(status), status);
}
