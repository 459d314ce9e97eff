// Formatting and DOM helpers. Every time is shown in Beijing time (Asia/Shanghai),
// whatever the operator's computer is set to.

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
export function beijing(value) {
  return value ? BEIJING.format(new Date(value)) : '';
}

/** A duration for people: `2小时05分`, `12分30秒`, `45秒`. */
export function duration(ms) {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n) => String(n).padStart(2, '0');
  if (d > 0) return `${d}天${pad(h)}小时`;
  if (h > 0) return `${h}小时${pad(m)}分`;
  if (m > 0) return `${m}分${pad(sec)}秒`;
  return `${sec}秒`;
}

/** The countdown to a deadline: `剩余 …`, or `已超时 …` once it has passed. */
export function countdown(dueAt, now = Date.now()) {
  const left = Date.parse(dueAt) - now;
  return left >= 0 ? { text: `剩余 ${duration(left)}`, overdue: false } : { text: `已超时 ${duration(-left)}`, overdue: true };
}

/** Bidi overrides removed so text reads as written (the same rule as shared/src/domain/text.ts). */
export function displayText(text) {
  return text.replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
}

/**
 * Creates an element: `h('td', { class: 'x', dataset: { id } }, 'text', child)`.
 * Text is always set as text, never parsed as markup.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'class') el.className = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(displayText(String(child))));
  }
  return el;
}

/** Only http(s) links become anchors (an incident's source comes from outside). */
export function safeUrl(url) {
  return /^https?:\/\//i.test(url ?? '') ? url : undefined;
}
