// Times for people: always Beijing time (Asia/Shanghai), whatever the device says.
import { ref } from 'vue';

const BEIJING = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `2026/11/28 17:00:05` in Beijing time, like the API's `…Local` fields. */
export function beijing(value: string | number | Date | null | undefined): string {
  return value ? BEIJING.format(new Date(value)) : '';
}

/** A duration for people: `2小时05分`, `12分30秒`, `45秒`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}天${pad(h)}小时`;
  if (h > 0) return `${h}小时${pad(m)}分`;
  if (m > 0) return `${m}分${pad(sec)}秒`;
  return `${sec}秒`;
}

/** Bidi overrides removed so text reads as written (the rule of shared/src/domain/text.ts). */
export function displayText(text: string | null | undefined): string {
  return (text ?? '').replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
}

/** Only http(s) links become anchors (an incident's source comes from outside). */
export function safeUrl(url: string | null | undefined): string | undefined {
  return /^https?:\/\//i.test(url ?? '') ? (url ?? undefined) : undefined;
}

/** The clock every countdown reads, ticking once a second. */
export const now = ref(Date.now());
setInterval(() => (now.value = Date.now()), 1000);
