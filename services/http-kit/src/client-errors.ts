import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { problemDocument } from '@yuqing/shared';

/** A request line longer than this, cut off by Node's header limit, is answered 414 rather than 431. */
const LONG_REQUEST_LINE = 8 * 1024;

/** Whether the bytes Node gave up on begin with a request line that never ended, or ended far too long. */
function requestLineTooLong(raw: Buffer | undefined): boolean {
  if (!raw || !/^[A-Z]+ /.test(raw.subarray(0, 16).toString('latin1'))) return false;
  const end = raw.indexOf('\r\n');
  return (end < 0 ? raw.length : end) > LONG_REQUEST_LINE;
}

function classify(err: ConnectionError): { status: number; code: string; detail: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request_timeout', detail: 'the request was not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      // Typed as JSON by Fastify, a Buffer at run time.
      return requestLineTooLong(err.rawPacket as unknown as Buffer | undefined)
        ? { status: 414, code: 'uri_too_long', detail: 'the URL is too long' }
        : { status: 431, code: 'headers_too_large', detail: 'the request headers are too large' };
    default:
      return { status: 400, code: 'malformed_request', detail: 'the request is not valid HTTP/1.1' };
  }
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there
 * is a request (a malformed request line, a URL or headers over Node's limit, a
 * request that never finished arriving) is answered problem+json like every
 * other error, then the connection is closed, as Node does.
 */
export function clientErrorHandler(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = classify(err);
  const requestId = randomUUID();
  const title = STATUS_CODES[status] ?? 'Bad Request';
  // Debug only: garbage from scanners would otherwise fill the logs; never the raw bytes, which may hold credentials.
  this.log.debug({ requestId, status, parserCode: err.code, remoteAddress: socket.remoteAddress }, 'refused by the HTTP parser');
  const body = JSON.stringify(problemDocument({ status, code, title, detail, requestId }));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Ended, then destroyed once flushed: what the parser could not read is not read further.
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
