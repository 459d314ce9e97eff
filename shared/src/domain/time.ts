/** Times are stored and sent as ISO-8601 with offset; people read them in Beijing time. */
export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';

const formatter = new Intl.DateTimeFormat('zh-CN', {
  timeZone: DISPLAY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `2026/11/28 17:00:05` in Beijing time. */
export function formatBeijing(value: Date | string): string {
  return formatter.format(typeof value === 'string' ? new Date(value) : value);
}
