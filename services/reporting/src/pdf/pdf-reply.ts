import type { FastifyReply } from 'fastify';
import { HttpProblem } from '@yuqing/http-kit';
import { displayText } from '@yuqing/shared';
import { CjkFontMissing, type CjkFonts } from './cjk-font';
import type { DocumentRequest } from './documents';
import type { Documents } from './pdf-thread';

/** A file name a browser saves as written: no path separators, quotes or control characters, at most 80 characters. */
function safeFileName(name: string): string {
  return (
    displayText(name)
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80) || 'document'
  );
}

/** Makes a document on the PDF thread and answers it as a download; no Chinese font answers 503 naming the Debian package. */
export async function sendPdf(
  reply: FastifyReply,
  documents: Documents,
  names: { readonly fileName: string; readonly asciiName: string },
  document: DocumentRequest,
): Promise<FastifyReply> {
  let fonts: CjkFonts;
  try {
    fonts = await documents.fonts();
  } catch (err) {
    if (err instanceof CjkFontMissing) {
      reply.log.error({ tried: err.tried }, 'no CJK font for PDF documents: install fonts-noto-cjk');
      throw new HttpProblem(503, err.code, 'Service Unavailable', err.message);
    }
    throw err;
  }
  return replyPdf(reply, await documents.thread.render(fonts, document), names);
}

/**
 * Answers a PDF as a download: the Chinese file name for browsers that read
 * `filename*` (RFC 6266), an ASCII one for the rest; never kept by shared caches.
 */
export function replyPdf(reply: FastifyReply, pdf: Buffer, names: { readonly fileName: string; readonly asciiName: string }): FastifyReply {
  const file = `${safeFileName(names.fileName)}.pdf`;
  return (
    reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${names.asciiName}.pdf"; filename*=UTF-8''${encodeURIComponent(file)}`)
      // Documents about people and cases: never kept by shared caches.
      .header('cache-control', 'private, no-store')
      .send(pdf)
  );
}
