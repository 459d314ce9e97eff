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
  type Job = { resolve: (pdf: Buffer) => void; reject: (err: Error) => void };
  // Each thread with the documents it holds: a thread that ends fails its own, never a later thread's.
  let current: { worker: Worker; jobs: Map<number, Job> } | undefined;
  let next = 0;

  const start = () => {
    const worker = new Worker(THREAD_FILE);
    const jobs = new Map<number, Job>();
    const failAll = (err: Error) => {
      for (const job of jobs.values()) job.reject(err);
      jobs.clear();
    };
    worker.on('message', (a: ThreadAnswer) => {
      const job = jobs.get(a.id);
      jobs.delete(a.id);
      if (jobs.size === 0) worker.unref();
      if (!job) return;
      if ('error' in a) job.reject(new Error(a.error));
      else job.resolve(Buffer.from(a.pdf.buffer, a.pdf.byteOffset, a.pdf.byteLength));
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      if (current?.worker === worker) current = undefined;
      failAll(new Error(`the PDF thread stopped (${code})`));
    });
    return { worker, jobs };
  };

  return {
    render(fonts, document) {
      if (current && current.jobs.size >= maxWaiting)
        return Promise.reject(problems.unavailable('文档生成繁忙,请稍后再试 (documents busy: too many PDF documents waiting)', 5));
      const { worker, jobs } = (current ??= start());
      const id = next++;
      return new Promise<Buffer>((resolve, reject) => {
        try {
          worker.postMessage({ id, fonts, document } satisfies ThreadRequest);
        } catch (err) {
          // What cannot be copied to the thread (a DataCloneError) was never sent: nothing waits for it.
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        jobs.set(id, { resolve, reject });
        // Held open only while it has work: an idle thread does not keep the process alive.
        worker.ref();
      });
    },
    async close() {
      const closing = current;
      current = undefined;
      await closing?.worker.terminate();
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
