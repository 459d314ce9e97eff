// Documents (PDF) downloaded the way every other call is made: with the session
// cookie or the tab's key (a plain link could not carry the key), then saved under
// the Chinese name the service gives (Content-Disposition filename*).
import { request } from './api';

/** The file name from `filename*=UTF-8''…` (RFC 6266), else `filename="…"`, else the fallback. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (star) {
    try {
      return decodeURIComponent(star[1]!);
    } catch {
      // A malformed name: the plain one below.
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/** Fetches a PDF of the reporting service and saves it; throws the API's refusal (ApiError). */
export async function downloadPdf(path: string, fallbackName: string): Promise<void> {
  const res = await request('reporting', path, { accept: 'application/pdf' });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileNameOf(res.headers.get('content-disposition'), fallbackName);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
