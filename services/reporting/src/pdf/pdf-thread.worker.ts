import { parentPort } from 'node:worker_threads';
import { loadCjkFonts } from './cjk-font';
import { renderDocument } from './documents';
import type { ThreadAnswer, ThreadRequest } from './pdf-thread';

const answer = (a: ThreadAnswer, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(a, transfer);

/** The PDF thread (pdf-thread.ts): one document per message, in the faces it is given (parsed once per thread). */
parentPort!.on('message', async (r: ThreadRequest) => {
  try {
    // Its own copy of the bytes, handed over rather than copied again.
    const pdf = new Uint8Array(await renderDocument(loadCjkFonts(r.fonts), r.document));
    answer({ id: r.id, pdf }, [pdf.buffer]);
  } catch (err) {
    answer({ id: r.id, error: err instanceof Error ? err.message : String(err) });
  }
});
