import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { problems } from '@yuqing/http-kit';
import { cjkFontFinder, type CjkFonts } from './cjk-font';
import type { DocumentRequest } from './documents';

/** What the thread answers for one document. */
export type ThreadAnswer = { readonly id: number; readonly pdf: Uint8Array } | { readonly id: number; readonly error: string };

/** What the thread is asked: one document, set in the faces found by the service. */
export interface ThreadRequest {
  readonly id: number;
  readonly fonts: CjkFonts;
  readonly document: DocumentRequest;
}

/** Documents waiting or being made at once, at most: more answer 503 (a burst of exports must not queue without end). */
const MAX_WAITING = 8;

// ts-jest runs this module from its source; the thread runs the compiled file (npm run build).
const THREAD_FILE = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/pdf/pdf-thread.worker.js') : path.join(__dirname, 'pdf-thread.worker.js');

export interface PdfThread {
  /** Makes one document on the thread; 503 when `MAX_WAITING` are already waiting. */
  render(fonts: CjkFonts, document: DocumentRequest): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * The PDF documents are made on one worker thread, started when the first is
 * asked for: a document costs 0.3–1.5 s of CPU (layout and the CJK subset), which
 * on the service's own thread would stall every request, the live stream and the
 * timeline projection meanwhile. One thread: documents take at most one core,
 * one after another. A thread that dies fails the documents it held and the next
 * document starts another.
 */
export function pdfThread(options: { readonly maxWaiting?: number } = {}): PdfThread {
  const maxWaiting = options.maxWaiting ?? MAX_WAITING;
  const waiting = new Map<number, { resolve: (pdf: Buffer) => void; reject: (err: Error) => void }>();
  let worker: Worker | undefined;
  let next = 0;

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const start = (): Worker => {
    const w = new Worker(THREAD_FILE);
    w.on('message', (a: ThreadAnswer) => {
      const job = waiting.get(a.id);
      if (!job) return;
      waiting.delete(a.id);
      if ('error' in a) job.reject(new Error(a.error));
      else job.resolve(Buffer.from(a.pdf.buffer, a.pdf.byteOffset, a.pdf.byteLength));
      if (waiting.size === 0) w.unref();
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the PDF thread stopped (${code})`));
    });
    return w;
  };

  return {
    render(fonts, document) {
      if (waiting.size >= maxWaiting)
        return Promise.reject(problems.unavailable('文档生成繁忙,请稍后再试 (documents busy: too many PDF documents waiting)', 5));
      worker ??= start();
      // Held open only while it has work: an idle thread does not keep the process alive.
      worker.ref();
      const id = next++;
      return new Promise<Buffer>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker!.postMessage({ id, fonts, document } satisfies ThreadRequest);
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}

/** What makes documents: where the faces are (found once per process) and the thread that sets them. */
export interface Documents {
  readonly fonts: () => Promise<CjkFonts>;
  readonly thread: PdfThread;
}

/** The documents of one process, in `PDF_CJK_FONT` or the faces fontconfig finds. */
export function documentMaker(configuredFont?: string): Documents {
  return { fonts: cjkFontFinder(configuredFont), thread: pdfThread() };
}
