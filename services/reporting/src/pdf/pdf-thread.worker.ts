import { parentPort } from 'node:worker_threads';
import { loadCjkFonts } from './cjk-font';
import { renderDocument } from './documents';
import type { ThreadAnswer, ThreadRequest } from './pdf-thread';

/** The PDF thread (pdf-thread.ts): one document per message, in the faces it is given (parsed once per thread). */
parentPort!.on('message', (r: ThreadRequest) => {
  const answer = (a: ThreadAnswer, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(a, transfer);
  Promise.resolve(r)
    .then(() => renderDocument(loadCjkFonts(r.fonts), r.document))
    .then(
      (pdf) => {
        // Its own copy, handed over rather than copied again.
        const own = new Uint8Array(pdf);
        answer({ id: r.id, pdf: own }, [own.buffer]);
      },
      (err: unknown) => answer({ id: r.id, error: err instanceof Error ? err.message : String(err) }),
    );
});
