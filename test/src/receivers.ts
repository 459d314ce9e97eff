/**
 * Real receivers on loopback for the notification tests: an HTTP server that
 * plays generic webhooks (verifying signatures and the replay window the way
 * docs/webhooks.md tells integrators to), WeCom and DingTalk robots, and an SMTP
 * server. Each records what arrived and when.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Arrival {
  readonly at: number;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: any;
  /** What the receiver answered. */
  readonly status: number;
  /** Why a webhook delivery was refused (bad signature, stale, replayed), or `duplicate` when accepted but not processed again. */
  readonly note?: string;
}

export interface Endpoint {
  readonly kind: 'webhook' | 'wecom' | 'dingtalk';
  /** Webhook: the HMAC key to verify with. DingTalk: the 加签 secret. */
  secret?: string;
  /** Fail this many requests first (with `failStatus`). */
  failTimes?: number;
  failStatus?: number;
  /** Fail every request while set. */
  down?: boolean;
  /** Answer this late. */
  delayMs?: number;
  /** Answer 302 to this location instead. */
  redirectTo?: string;
  /** Answer 200 with this many bytes of body (streamed, as fast as the client reads). */
  hugeBodyBytes?: number;
}

/** What became of a huge answer: how much was written before the client went away, and whether it ever finished. */
export interface HugeAnswer {
  readonly path: string;
  written: number;
  finished: boolean;
  closed: boolean;
}

/**
 * The receivers listen on loopback, which the outbound policy refuses by default:
 * a test that sends to them lists it in NOTIFY_ALLOW_HOSTS.
 */
export const RECEIVER_ALLOW_HOSTS = '127.0.0.1';

/** The replay window docs/webhooks.md documents. */
export const TOLERANCE_SECONDS = 300;

function sign(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class HttpReceiver {
  readonly arrivals: Arrival[] = [];
  readonly hugeAnswers: HugeAnswer[] = [];
  /** Event ids each webhook endpoint processed (once each: duplicates are acknowledged, not processed). */
  readonly processed = new Map<string, string[]>();
  private readonly endpoints = new Map<string, Endpoint>();
  /** Signatures seen within the window: a request seen before is a replay. */
  private readonly seenSignatures = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  /** Registers an endpoint at `/<kind>/<name>` and returns its URL. */
  endpoint(name: string, e: Endpoint): string {
    this.endpoints.set(`/${e.kind}/${name}`, e);
    return `${this.url}/${e.kind}/${name}`;
  }

  get(name: string, kind: Endpoint['kind']): Endpoint {
    return this.endpoints.get(`/${kind}/${name}`)!;
  }

  at(name: string, kind: Endpoint['kind']): Arrival[] {
    return this.arrivals.filter((a) => a.path === `/${kind}/${name}`);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', this.url);
        const e = this.endpoints.get(url.pathname);
        if (e?.hugeBodyBytes) return this.answerHuge(url, req.headers, body, res, e.hugeBodyBytes);
        void this.answer(url, req.headers, body).then(({ status, reply, note, location }) => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          this.arrivals.push({
            at: Date.now(),
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body,
            json,
            status,
            ...(note ? { note } : {}),
          });
          res.writeHead(status, { 'content-type': 'application/json', ...(location ? { location } : {}) }).end(JSON.stringify(reply));
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** 200 with `bytes` of JSON-looking body, written as the client reads it; records how far it got. */
  private answerHuge(url: URL, headers: IncomingHttpHeaders, body: string, res: ServerResponse, bytes: number): void {
    const record: HugeAnswer = { path: url.pathname, written: 0, finished: false, closed: false };
    this.hugeAnswers.push(record);
    this.arrivals.push({ at: Date.now(), path: url.pathname, query: url.searchParams, headers, body, json: undefined, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    res.on('close', () => (record.closed = true));
    const pump = () => {
      while (record.written < bytes && !record.closed) {
        record.written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!record.closed) res.end(() => (record.finished = true));
    };
    pump();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * A webhook receiver as docs/webhooks.md describes it: check the timestamp is
   * within the window, the signature over `<timestamp>.<body>`, that the request
   * was not seen before (replay), then process each event id once.
   */
  verifyWebhook(path: string, headers: IncomingHttpHeaders, body: string, secret: string): { status: number; note?: string } {
    const timestamp = String(headers['x-yuqing-timestamp'] ?? '');
    const signature = String(headers['x-yuqing-signature'] ?? '');
    const now = Math.floor(Date.now() / 1000);
    if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) return { status: 400, note: 'stale' };
    if (!safeEqual(signature, sign(secret, timestamp, body))) return { status: 401, note: 'bad signature' };
    for (const [sig, seenAt] of this.seenSignatures) if (now - seenAt > TOLERANCE_SECONDS) this.seenSignatures.delete(sig);
    if (this.seenSignatures.has(signature)) return { status: 409, note: 'replayed' };
    this.seenSignatures.set(signature, now);
    const eventId = String(headers['x-yuqing-event-id'] ?? '');
    const done = this.processed.get(path) ?? [];
    if (done.includes(eventId)) return { status: 200, note: 'duplicate' };
    this.processed.set(path, [...done, eventId]);
    return { status: 200 };
  }

  private async answer(url: URL, headers: IncomingHttpHeaders, body: string): Promise<{ status: number; reply: unknown; note?: string; location?: string }> {
    const e = this.endpoints.get(url.pathname);
    if (!e) return { status: 404, reply: { error: 'no such endpoint' } };
    if (e.delayMs) await new Promise((r) => setTimeout(r, e.delayMs));
    if (e.redirectTo) return { status: 302, reply: { moved: true }, location: e.redirectTo };
    if (e.down || (e.failTimes ?? 0) > 0) {
      if (e.failTimes) e.failTimes -= 1;
      return { status: e.failStatus ?? 503, reply: { error: 'unavailable' } };
    }
    if (e.kind === 'webhook') {
      const v = this.verifyWebhook(url.pathname, headers, body, e.secret ?? '');
      return { status: v.status, reply: { ok: v.status === 200 }, ...(v.note ? { note: v.note } : {}) };
    }
    if (e.kind === 'dingtalk' && e.secret) {
      const ts = url.searchParams.get('timestamp') ?? '';
      const expected = createHmac('sha256', e.secret).update(`${ts}\n${e.secret}`, 'utf8').digest('base64');
      if (url.searchParams.get('sign') !== expected || Math.abs(Date.now() - Number(ts)) > 3_600_000)
        return { status: 200, reply: { errcode: 310000, errmsg: 'sign not match' } };
    }
    return { status: 200, reply: { errcode: 0, errmsg: 'ok' } };
  }
}

export interface Mail {
  readonly at: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly text: string;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`). */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.slice(split + 4);
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  const text = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
  return { headers, text };
}

/** An SMTP server on loopback that keeps every message it accepts. */
export class SmtpReceiver {
  readonly mails: Mail[] = [];
  /** Refuse this many messages first with a temporary 451. */
  failTimes = 0;
  private server: SMTPServer | undefined;
  port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      // Loopback has no reverse DNS worth waiting for.
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failTimes > 0) {
            this.failTimes -= 1;
            callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
            return;
          }
          const { headers, text } = parseMail(Buffer.concat(chunks).toString('utf8'));
          this.mails.push({
            at: Date.now(),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            headers,
            subject: decodeWords(headers.subject ?? ''),
            text,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
