import { renderSummaryPdf } from '../summary/summary.pdf';
import type { LoadedCjkFonts } from './cjk-font';
import { renderArchivePdf, renderDigestPdf, renderReviewPdf, type Archive } from './incident-documents';
import type { Digest } from '../digest/digest';
import type { Review } from '../review/review';

/** A document the PDF thread makes (pdf-thread.ts): its kind and what it shows, as plain data. */
export type DocumentRequest =
  | { readonly kind: 'digest'; readonly data: Digest }
  | { readonly kind: 'review'; readonly data: Review }
  | { readonly kind: 'archive'; readonly data: Archive }
  | { readonly kind: 'summary'; readonly data: Parameters<typeof renderSummaryPdf>[1] };

export function renderDocument(fonts: LoadedCjkFonts, r: DocumentRequest): Promise<Buffer> {
  switch (r.kind) {
    case 'digest':
      return renderDigestPdf(fonts, r.data);
    case 'review':
      return renderReviewPdf(fonts, r.data);
    case 'archive':
      return renderArchivePdf(fonts, r.data);
    case 'summary':
      return renderSummaryPdf(fonts, r.data);
  }
}
