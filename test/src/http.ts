import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@yuqing/shared';

export interface RawAnswer {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Writes `data` as is to 127.0.0.1:`port` and reads the answer until the server
 * closes the connection: for what Node's HTTP parser refuses (URLs or headers
 * over its limit, a malformed request line), which `app.inject` never reaches.
 * Send `Connection: close` with a well-formed request.
 */
export function rawHttp(port: number, data: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    // A server that answers then resets (it did not read everything) still gave its answer.
    socket.on('error', (err) => (chunks.length ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      const [statusLine, ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body: text.slice(head.length + 4) });
    });
  });
}

/** A JSON-lines logger at `level` whose output is kept in `lines`, to assert what is (not) logged. */
export function capturingLogger(level: 'info' | 'debug' = 'info'): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ LOG_LEVEL: level, NODE_ENV: 'test', LOG_PRETTY: 'false' }, 'capture', stream);
  return { log, lines, text: () => lines.join('') };
}
